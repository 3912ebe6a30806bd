# Assertions shared by the bats suites (tests/integration, tests/engines):
# each prints what it expected and what it got when it fails.
assert_success() {
	if [ "$status" -ne 0 ]; then
		echo "expected success, got status $status; output:" >&2
		echo "$output" >&2
		return 1
	fi
}
assert_failure() {
	if [ "$status" -eq 0 ]; then
		echo "expected failure, got success; output:" >&2
		echo "$output" >&2
		return 1
	fi
}
assert_status() {
	if [ "$status" -ne "$1" ]; then
		echo "expected status $1, got $status; output:" >&2
		echo "$output" >&2
		return 1
	fi
}
assert_output_contains() {
	if [[ "$output" != *"$1"* ]]; then
		echo "expected output to contain: $1" >&2
		echo "actual output:" >&2
		echo "$output" >&2
		return 1
	fi
}
assert_output_not_contains() {
	if [[ "$output" == *"$1"* ]]; then
		echo "expected output NOT to contain: $1" >&2
		echo "actual output:" >&2
		echo "$output" >&2
		return 1
	fi
}
assert_output_matches() {
	if ! [[ "$output" =~ $1 ]]; then
		echo "expected output to match: $1" >&2
		echo "actual output:" >&2
		echo "$output" >&2
		return 1
	fi
}
assert_equal() {
	if [ "$1" != "$2" ]; then
		echo "expected: $2" >&2
		echo "actual:   $1" >&2
		return 1
	fi
}
