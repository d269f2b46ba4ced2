package boot

import (
	"fmt"
	"io"
	"io/fs"
	"path"
	"strings"
)

// FSPath turns a volume path ("/boot/grub/grub.cfg", "loader//x") into
// the name io/fs wants ("boot/grub/grub.cfg"); the root is ".". A path can
// never leave the volume: ".." stops at its root.
func FSPath(p string) string {
	p = strings.TrimLeft(path.Clean("/"+p), "/")
	if p == "" {
		return "."
	}
	return p
}

// ReadFile reads a whole configuration file from a volume, but never more
// than max bytes: a larger file is refused after reading max+1 bytes, so a
// hostile disk cannot make a parser allocate what it likes.
func ReadFile(fsys fs.FS, name string, max int64) ([]byte, error) {
	f, err := fsys.Open(FSPath(name))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > max {
		return nil, fmt.Errorf("file is larger than %d bytes", max)
	}
	return b, nil
}
