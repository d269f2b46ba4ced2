package disk

import (
	"os"

	"golang.org/x/sys/unix"
)

// adviseRandom tells the kernel that f is read at scattered offsets, so a
// probe's small reads do not each pull in a readahead window (up to
// several MiB per read on a disk with a large read_ahead_kb). It is only
// advice: an error changes nothing and is ignored.
func adviseRandom(f *os.File) {
	_ = unix.Fadvise(int(f.Fd()), 0, 0, unix.FADV_RANDOM)
}

// adviseNormal restores the default readahead on f.
func adviseNormal(f *os.File) {
	_ = unix.Fadvise(int(f.Fd()), 0, 0, unix.FADV_NORMAL)
}
