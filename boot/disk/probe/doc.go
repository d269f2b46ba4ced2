// Package probe identifies filesystems, encrypted and LVM volumes, and
// partition tables from raw bytes, without mounting anything. It answers
// the question `blkid -p -o export` answers, with the same values: TYPE,
// UUID, LABEL, VERSION, USAGE and the other fields blkid prints, and for
// partition tables the PTTYPE/PTUUID and per-partition PARTUUID, type and
// name that udev and the kernel use.
//
// Probe reads a few superblocks; ReadPartitions reads a GPT (with CRC checks
// and a fall back to the backup header) or an MBR with its chain of logical
// partitions.
//
// Why hand-written: no well-kept pure-Go library for this is available to
// the project (go-diskfs reads a few formats but not their blkid identity,
// and it panics on some inputs; u-root's block-identity code is not sound).
// The formats needed by a boot loader are few and their identity fields are
// small, fixed structures, so each lives in its own short file, driven by
// one table in the order libblkid uses. The code follows the on-disk
// formats and libblkid's documented behaviour; it copies no code.
//
// Every input is untrusted: nothing here panics, all work is bounded (a
// probe reads at most a few MiB, see WithReadLimit), and no allocation
// grows with a count read from the disk without a cap.
package probe
