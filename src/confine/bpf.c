/* Classic BPF as seccomp accepts it (kernel/seccomp.c seccomp_check_filter,
 * net/core/filter.c bpf_check_classic): loads of 32-bit words of struct
 * seccomp_data at aligned offsets, its length, immediates and the 16
 * scratch words (never read before written), ALU without modulo, forward
 * jumps, RET last. */
#include <stdbool.h>
#include <string.h>

#include "bpf.h"

#define MEMWORDS 16

/* No scratch word is read on any path before one writes it. The kernel's
 * check, as a forward pass: what is written at each instruction is what
 * every path into it wrote (jumps go forward only). */
static bool stores_first(const struct sock_filter *prog, size_t n)
{
	uint16_t into[BPF_MAXINSNS]; /* words written on every path seen into pc */
	for (size_t pc = 0; pc < n; pc++)
		into[pc] = 0xffff;
	uint16_t written = 0;
	for (size_t pc = 0; pc < n; pc++) {
		const struct sock_filter *f = &prog[pc];
		written &= into[pc];
		switch (f->code) {
		case BPF_ST:
		case BPF_STX:
			written |= (uint16_t)(1u << f->k);
			break;
		case BPF_LD | BPF_MEM:
		case BPF_LDX | BPF_MEM:
			if (!(written & (1u << f->k)))
				return false;
			break;
		case BPF_JMP | BPF_JA:
			into[pc + 1 + f->k] &= written;
			written = 0xffff; /* nothing falls through */
			break;
		default:
			/* (after a RET the kernel carries on as if it fell through) */
			if (BPF_CLASS(f->code) == BPF_JMP) {
				into[pc + 1 + f->jt] &= written;
				into[pc + 1 + f->jf] &= written;
				written = 0xffff;
			}
		}
	}
	return true;
}

/* The load-time checks of the kernel (bpf_check_classic, seccomp_check_filter). */
static bool valid(const struct sock_filter *prog, size_t n)
{
	if (n == 0 || n > BPF_MAXINSNS)
		return false;
	for (size_t pc = 0; pc < n; pc++) {
		const struct sock_filter *f = &prog[pc];
		size_t left = n - pc - 1;
		switch (f->code) {
		case BPF_LD | BPF_W | BPF_ABS:
			if (f->k >= sizeof(struct seccomp_data) || f->k % 4)
				return false;
			break;
		case BPF_LD | BPF_MEM:
		case BPF_LDX | BPF_MEM:
		case BPF_ST:
		case BPF_STX:
			if (f->k >= MEMWORDS)
				return false;
			break;
		case BPF_JMP | BPF_JA:
			if (f->k >= left)
				return false;
			break;
		case BPF_JMP | BPF_JEQ | BPF_K: case BPF_JMP | BPF_JEQ | BPF_X:
		case BPF_JMP | BPF_JGT | BPF_K: case BPF_JMP | BPF_JGT | BPF_X:
		case BPF_JMP | BPF_JGE | BPF_K: case BPF_JMP | BPF_JGE | BPF_X:
		case BPF_JMP | BPF_JSET | BPF_K: case BPF_JMP | BPF_JSET | BPF_X:
			if (f->jt >= left || f->jf >= left)
				return false;
			break;
		case BPF_ALU | BPF_DIV | BPF_K:
			if (f->k == 0)
				return false;
			break;
		case BPF_ALU | BPF_LSH | BPF_K:
		case BPF_ALU | BPF_RSH | BPF_K:
			if (f->k >= 32)
				return false;
			break;
		case BPF_LD | BPF_W | BPF_LEN: case BPF_LDX | BPF_W | BPF_LEN:
		case BPF_LD | BPF_IMM: case BPF_LDX | BPF_IMM:
		case BPF_MISC | BPF_TAX: case BPF_MISC | BPF_TXA:
		case BPF_RET | BPF_K: case BPF_RET | BPF_A:
		case BPF_ALU | BPF_ADD | BPF_K: case BPF_ALU | BPF_ADD | BPF_X:
		case BPF_ALU | BPF_SUB | BPF_K: case BPF_ALU | BPF_SUB | BPF_X:
		case BPF_ALU | BPF_MUL | BPF_K: case BPF_ALU | BPF_MUL | BPF_X:
		case BPF_ALU | BPF_DIV | BPF_X:
		case BPF_ALU | BPF_AND | BPF_K: case BPF_ALU | BPF_AND | BPF_X:
		case BPF_ALU | BPF_OR | BPF_K: case BPF_ALU | BPF_OR | BPF_X:
		case BPF_ALU | BPF_XOR | BPF_K: case BPF_ALU | BPF_XOR | BPF_X:
		case BPF_ALU | BPF_LSH | BPF_X: case BPF_ALU | BPF_RSH | BPF_X:
		case BPF_ALU | BPF_NEG:
			break;
		default:
			return false;
		}
	}
	return BPF_CLASS(prog[n - 1].code) == BPF_RET && stores_first(prog, n);
}

bool ward_bpf_valid(const struct sock_filter *prog, size_t n)
{
	return valid(prog, n);
}

int ward_bpf_run(const struct sock_filter *prog, size_t n, const struct seccomp_data *d,
		 uint32_t *ret)
{
	if (!valid(prog, n))
		return -1;
	return ward_bpf_run_valid(prog, n, d, ret);
}

int ward_bpf_run_valid(const struct sock_filter *prog, size_t n, const struct seccomp_data *d,
		       uint32_t *ret)
{
	uint32_t a = 0, x = 0, mem[MEMWORDS] = {0};
	unsigned char data[sizeof(*d)];
	memcpy(data, d, sizeof(data));
	for (size_t pc = 0; pc < n; pc++) {
		const struct sock_filter *f = &prog[pc];
		uint32_t k = f->k;
		uint32_t src = BPF_SRC(f->code) == BPF_X ? x : k;
		switch (f->code) {
		case BPF_LD | BPF_W | BPF_ABS:
			memcpy(&a, data + k, 4);
			continue;
		case BPF_LD | BPF_W | BPF_LEN:
			a = sizeof(data);
			continue;
		case BPF_LDX | BPF_W | BPF_LEN:
			x = sizeof(data);
			continue;
		case BPF_LD | BPF_IMM:
			a = k;
			continue;
		case BPF_LDX | BPF_IMM:
			x = k;
			continue;
		case BPF_LD | BPF_MEM:
		case BPF_LDX | BPF_MEM:
		case BPF_ST:
		case BPF_STX:
			if (f->code == (BPF_LD | BPF_MEM))
				a = mem[k];
			else if (f->code == (BPF_LDX | BPF_MEM))
				x = mem[k];
			else
				mem[k] = f->code == BPF_ST ? a : x;
			continue;
		case BPF_MISC | BPF_TAX:
			x = a;
			continue;
		case BPF_MISC | BPF_TXA:
			a = x;
			continue;
		case BPF_RET | BPF_K:
			*ret = k;
			return 0;
		case BPF_RET | BPF_A:
			*ret = a;
			return 0;
		case BPF_JMP | BPF_JA:
			pc += k;
			continue;
		default:
			break;
		}
		if (BPF_CLASS(f->code) == BPF_ALU) {
			switch (BPF_OP(f->code)) {
			case BPF_ADD: a += src; break;
			case BPF_SUB: a -= src; break;
			case BPF_MUL: a *= src; break;
			case BPF_DIV:
				if (!src)
					return -1; /* the kernel returns 0 (kill); say unknown */
				a /= src;
				break;
			case BPF_AND: a &= src; break;
			case BPF_OR: a |= src; break;
			case BPF_XOR: a ^= src; break;
			case BPF_LSH: a <<= src & 31; break; /* as the kernel runs it */
			case BPF_RSH: a >>= src & 31; break;
			case BPF_NEG: a = -a; break;
			default: return -1;
			}
			continue;
		}
		if (BPF_CLASS(f->code) == BPF_JMP) {
			bool taken;
			switch (BPF_OP(f->code)) {
			case BPF_JEQ: taken = a == src; break;
			case BPF_JGT: taken = a > src; break;
			case BPF_JGE: taken = a >= src; break;
			case BPF_JSET: taken = (a & src) != 0; break;
			default: return -1;
			}
			pc += taken ? f->jt : f->jf;
			continue;
		}
		return -1;
	}
	return -1;
}
