//go:build tiny

package disk

import (
	"errors"
	"io/fs"
	"os"
)

// ErrNoImageFS is the error of every volume of an image file in the slim
// /init build (-tags tiny), which leaves go-diskfs out: partitions and
// filesystem types are still found, but reading files inside images needs
// the full leapboot build.
var ErrNoImageFS = errors.New("reading files inside disk images needs the full leapboot build; this is the slim /init build (-tags tiny)")

func openDiskfs(*os.File, string, int64, int64) (fs.FS, error, error) {
	return nil, nil, ErrNoImageFS
}
