package images

import (
	"bytes"
	"debug/elf"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"sort"
	"strings"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
	"github.com/ulikunitz/xz"
)

// FirmwareDir is where distributions keep firmware, and where the kernel
// looks for it.
const FirmwareDir = "/lib/firmware"

// maxModule bounds a decompressed module file (the largest in-tree modules
// are tens of MiB).
const maxModule = 256 << 20

// moduleFirmware returns the firmware files a module declares in its
// .modinfo section ("firmware=NAME" entries), in file order without
// duplicates. Files that are not ELF (or compressed ELF) declare none.
func moduleFirmware(name string, b []byte) ([]string, error) {
	b, err := unpackModule(name, b)
	if err != nil {
		return nil, err
	}
	f, err := elf.NewFile(bytes.NewReader(b))
	if err != nil {
		return nil, nil
	}
	sec := f.Section(".modinfo")
	if sec == nil {
		return nil, nil
	}
	info, err := sec.Data()
	if err != nil {
		return nil, fmt.Errorf("%s: .modinfo: %w", name, err)
	}
	var out []string
	seen := map[string]bool{}
	for _, kv := range bytes.Split(info, []byte{0}) {
		fw, ok := bytes.CutPrefix(kv, []byte("firmware="))
		if !ok || len(fw) == 0 {
			continue
		}
		s := path.Clean(string(fw))
		if !fs.ValidPath(s) || seen[s] {
			continue
		}
		seen[s] = true
		out = append(out, s)
	}
	return out, nil
}

// unpackModule decompresses .ko.xz, .ko.zst and .ko.gz files.
func unpackModule(name string, b []byte) ([]byte, error) {
	var r io.Reader
	var err error
	switch path.Ext(name) {
	case ".xz":
		r, err = xz.NewReader(bytes.NewReader(b))
	case ".zst":
		var d *zstd.Decoder
		if d, err = zstd.NewReader(bytes.NewReader(b), zstd.WithDecoderConcurrency(1)); err == nil {
			defer d.Close()
			r = d
		}
	case ".gz":
		r, err = gzip.NewReader(bytes.NewReader(b))
	default:
		return b, nil
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	out, err := io.ReadAll(io.LimitReader(r, maxModule+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if len(out) > maxModule {
		return nil, fmt.Errorf("%s: larger than %d bytes unpacked", name, maxModule)
	}
	return out, nil
}

// firmwareFile is one firmware file found for the image.
type firmwareFile struct {
	name string // the archive path under lib/firmware, as the kernel asks for it (plus .xz or .zst if only that is found)
	data []byte
}

// findFirmware looks up the declared firmware names in fsys (a firmware
// directory). A name is found as itself, or compressed as NAME.xz or
// NAME.zst, which the kernel's loader also tries (CONFIG_FW_LOADER_COMPRESS).
// It returns the files found, sorted, and the names found in no form.
func findFirmware(fsys fs.FS, names []string) (found []firmwareFile, missing []string, err error) {
	for _, n := range names {
		var got bool
		for _, cand := range []string{n, n + ".xz", n + ".zst"} {
			b, err := fs.ReadFile(fsys, cand)
			if errors.Is(err, fs.ErrNotExist) {
				continue
			}
			if err != nil {
				return nil, nil, fmt.Errorf("firmware %s: %w", cand, err)
			}
			found, got = append(found, firmwareFile{name: cand, data: b}), true
			break
		}
		if !got {
			missing = append(missing, n)
		}
	}
	sort.Slice(found, func(i, j int) bool { return found[i].name < found[j].name })
	return found, missing, nil
}

// firmwareNames collects the firmware the modules declare: for each name,
// the modules asking for it ("mod: fw" in missing reports).
func firmwareNames(modules map[string][]string) (names []string, by map[string][]string) {
	by = map[string][]string{}
	for mod, fws := range modules {
		for _, fw := range fws {
			by[fw] = append(by[fw], mod)
		}
	}
	for fw := range by {
		sort.Strings(by[fw])
		names = append(names, fw)
	}
	sort.Strings(names)
	return names, by
}

func describeMissing(missing []string, by map[string][]string) []string {
	out := make([]string, len(missing))
	for i, fw := range missing {
		out[i] = fmt.Sprintf("%s (%s)", fw, strings.Join(by[fw], ", "))
	}
	return out
}
