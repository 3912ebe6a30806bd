/* The sync protocol's one message, on the wire. Shared with the exec stub
 * (src/stub), which is built without a C library: only <stdint.h> here. */
#ifndef WARD_LINUX_SYNC_WIRE_H
#define WARD_LINUX_SYNC_WIRE_H

#include <stdint.h>

enum ward_sync_type {
	WARD_SYNC_MAPS_DONE = 1, /* parent -> child: ID maps written, go on */
	WARD_SYNC_HOOKS,	 /* child -> parent: run createRuntime hooks now */
	WARD_SYNC_HOOKS_DONE,	 /* parent -> child */
	WARD_SYNC_PTY,		 /* child -> parent: the pty master (fd attached) */
	WARD_SYNC_READY,	 /* child -> parent: set up, waiting to exec */
	WARD_SYNC_GO,		 /* parent -> child (run): exec now */
	WARD_SYNC_ERROR,	 /* either way: errnum + message */
	WARD_SYNC_PID,		 /* intermediate -> parent: the init's pid */
	WARD_SYNC_LANDLOCK,	 /* child -> parent: rule paths skipped ("0110...") */
	WARD_SYNC_SESSION,	 /* child -> parent: its new audit session, or -errno */
};

#define WARD_SYNC_MSG_MAX 1024 /* = WARD_ERR_MSG_MAX (checked in linux.h) */

/* Sent as a whole record: the header and msg up to its NUL. An ERROR also
 * travels this way on the exec fifo, after the start byte. */
struct ward_sync_msg {
	uint32_t type;
	int32_t errnum;
	int64_t value;
	char msg[WARD_SYNC_MSG_MAX];
};

#define WARD_SYNC_HEADER_LEN 16 /* offsetof(struct ward_sync_msg, msg) */

#endif
