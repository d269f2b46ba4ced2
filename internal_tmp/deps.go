package deps

import (
	_ "github.com/diskfs/go-diskfs"
	_ "github.com/klauspost/compress/zstd"
	_ "github.com/u-root/u-root/pkg/cpio"
	_ "github.com/u-root/uio/uio"
	_ "github.com/ulikunitz/xz"
	_ "golang.org/x/sys/unix"
)
