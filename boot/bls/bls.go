// Package bls lists the boot entries that systemd-boot would show: Boot
// Loader Specification Type #1 entries (loader/entries/*.conf) and Type #2
// unified kernel images (EFI/Linux/*.efi), sorted as systemd-boot sorts
// them, with the default entry and timeout that loader.conf and the
// systemd-boot EFI variables select.
//
// The entry and loader.conf syntax is a few lines of key/value text, so it
// is parsed by hand (ParseLine, ParseKeyValues) to match systemd-boot's own
// reader byte for byte; no library does that, and u-root's pkg/boot/bls
// drops errors and sorts differently. Version comparison implements the
// UAPI Version Format Specification (CompareVersions).
package bls

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"sort"
	"strings"
	"sync"

	"github.com/leapboot/leapboot/boot"
	"github.com/leapboot/leapboot/boot/uki"
)

// maxEntryFile bounds the size of an entry or loader.conf file.
const maxEntryFile = 1 << 20

// maxDirEntries bounds the entry files (or UKIs) read from one directory;
// real systems have tens. A hostile disk with more gets a diagnostic, and
// the files past the bound (in name order) are not read.
const maxDirEntries = 2000

// maxEntryBytes bounds the entry files read altogether (and
// boot.AppendDiagnostic the problems listed): 200 entry files of 1 MiB,
// each line a repeated key, made 14 million diagnostics (31 s, 10 GB).
// Real entries are a few hundred bytes.
const maxEntryBytes = 16 << 20

// LoaderGUID is the vendor GUID of systemd-boot's EFI variables.
const LoaderGUID = "4a67b082-0a4c-41cf-b6c7-440b29bb8c4f"

// Option configures Parse.
type Option func(*options)

type options struct {
	arch    string
	efivars fs.FS
}

// WithArchitecture sets the EFI architecture name entries must match when
// they have an "architecture" key ("x64", "aa64", "ia32", …; default "x64").
func WithArchitecture(arch string) Option {
	return func(o *options) { o.arch = arch }
}

// WithEFIVars reads systemd-boot's EFI variables (LoaderEntryDefault,
// LoaderEntryOneShot, LoaderEntryLastBooted, LoaderConfigTimeout,
// LoaderConfigTimeoutOneShot) from an efivarfs directory, such as
// os.DirFS("/sys/firmware/efi/efivars").
func WithEFIVars(efivars fs.FS) Option {
	return func(o *options) { o.efivars = efivars }
}

// item is one entry being listed, with what the sort needs.
type item struct {
	e                  boot.Entry
	id                 string // ID as matched and sorted (lower case, as systemd-boot does)
	title              string // raw title, "" if none
	sortKey, machineID string
	version            string
	hasSortKey         bool
	count              counter
}

// Parse lists the Type #1 and Type #2 entries on vols in systemd-boot's
// order. It never fails: problems are diagnostics, broken entries carry Err.
func Parse(ctx context.Context, vols []*boot.Volume, opts ...Option) boot.Menu {
	o := options{arch: "x64"}
	for _, f := range opts {
		f(&o)
	}
	p := &parser{ctx: ctx, o: o}
	marked := false
	for _, v := range vols {
		if v != nil && (v.IsESP() || v.IsXBOOTLDR()) {
			marked = true
		}
	}
	var conf *LoaderConf
	for _, v := range vols {
		if v == nil || v.FS == nil || ctx.Err() != nil {
			continue
		}
		var bases []string
		switch {
		case v.IsESP() || v.IsXBOOTLDR():
			bases = []string{""}
		case marked:
			bases = []string{"/boot"}
		default:
			bases = []string{"", "/boot"}
		}
		for _, b := range bases {
			p.readEntries(v, b)
			p.readUKIs(v, b)
			// loader.conf comes from the ESP; without one, from the first
			// plain volume that has it.
			if conf == nil && (v.IsESP() || !marked) {
				conf = p.readLoaderConf(v, b+"/loader/loader.conf")
			}
		}
	}
	sortItems(p.items)
	// The same file name on two volumes gives the same ID; keep IDs unique.
	seen := map[string]int{}
	for i := range p.items {
		id := p.items[i].e.ID
		if seen[id]++; seen[id] > 1 {
			p.items[i].e.ID = fmt.Sprintf("%s#%d", id, seen[id])
		}
	}
	m := boot.Menu{Default: -1}
	titles := showTitles(p.items)
	for i := range p.items {
		it := &p.items[i]
		it.e.Title = titles[i]
		it.e.Menu = []string{titles[i]}
		m.Entries = append(m.Entries, it.e)
	}
	p.selectDefault(&m, conf)
	m.Diagnostics = p.diags
	return m
}

type parser struct {
	ctx   context.Context
	o     options
	items []item
	diags []boot.Diagnostic
	bytes int // entry files read, all together (maxEntryBytes)
	// confOrigin is the loader.conf that was read.
	confOrigin boot.Origin
}

func (p *parser) diag(v *boot.Volume, file string, line int, format string, args ...any) {
	p.diags = boot.AppendDiagnostic(p.diags, boot.MaxDiagnostics, boot.Diagnostic{
		Origin:  boot.Origin{Volume: v, Path: file, Line: line},
		Message: fmt.Sprintf(format, args...),
	})
}

// fsPath turns an absolute volume path into an io/fs path.
func fsPath(p string) string { return boot.FSPath(p) }

func readSmall(fsys fs.FS, name string) ([]byte, error) {
	return boot.ReadFile(fsys, name, maxEntryFile)
}

// listDir returns the regular files in dir whose names end in suffix (any
// case), sorted, skipping hidden files. A missing directory gives nothing.
func (p *parser) listDir(v *boot.Volume, dir, suffix string) []string {
	ents, err := fs.ReadDir(v.FS, fsPath(dir))
	if err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			p.diag(v, dir, 0, "cannot list directory: %v", err)
		}
		return nil
	}
	var out []string
	for _, d := range ents {
		n := d.Name()
		if d.IsDir() || strings.HasPrefix(n, ".") || len(n) <= len(suffix) ||
			!strings.EqualFold(n[len(n)-len(suffix):], suffix) {
			continue
		}
		out = append(out, n)
	}
	sort.Strings(out)
	if len(out) > maxDirEntries {
		p.diag(v, dir, 0, "%d entry files; only the first %d (by name) are read", len(out), maxDirEntries)
		out = out[:maxDirEntries]
	}
	return out
}

func (p *parser) readEntries(v *boot.Volume, base string) {
	dir := base + "/loader/entries"
	for _, name := range p.listDir(v, dir, ".conf") {
		if p.ctx.Err() != nil {
			return
		}
		if strings.HasPrefix(name, "auto-") {
			continue // reserved for systemd-boot's automatic entries
		}
		file := dir + "/" + name
		if p.bytes >= maxEntryBytes {
			p.diag(v, file, 0, "more than %d bytes of entry files read; this one and the rest of %s are not read", maxEntryBytes, dir)
			return
		}
		data, err := readSmall(v.FS, file)
		p.bytes += len(data)
		id, cnt := splitCounter(name, ".conf")
		if err != nil {
			it := item{id: strings.ToLower(id), count: cnt}
			it.e = boot.Entry{ID: id, Source: boot.SourceBLS, Origin: boot.Origin{Volume: v, Path: file},
				Err: fmt.Errorf("bls: %s: %w", file, err)}
			p.diag(v, file, 0, "cannot read entry: %v", err)
			p.items = append(p.items, it)
			continue
		}
		p.addType1(v, base, file, id, cnt, data)
	}
}

func (p *parser) addType1(v *boot.Volume, base, file, id string, cnt counter, data []byte) {
	ef, probs := parseEntryFile(data)
	for _, pr := range probs {
		p.diag(v, file, pr.Line, "%s", pr.Msg)
	}
	if ef.Architecture != "" && !strings.EqualFold(ef.Architecture, p.o.arch) {
		return // for another architecture: systemd-boot does not show it
	}
	line := max(ef.FirstLine, 1)
	it := item{
		id: strings.ToLower(id), title: ef.Title, sortKey: ef.SortKey, hasSortKey: ef.SortKey != "",
		machineID: ef.MachineID, version: ef.Version, count: cnt,
	}
	e := boot.Entry{
		ID: id, Source: boot.SourceBLS, Origin: boot.Origin{Volume: v, Path: file, Line: line},
		Version: ef.Version, Cmdline: ef.Options,
	}
	fail := func(err error) {
		if e.Err == nil {
			e.Err = fmt.Errorf("bls: %s:%d: %w", file, line, err)
		}
	}
	file1 := func(p string) boot.File { return resolve(v, base, p) }
	switch {
	case ef.Linux != "":
		e.Kernel = file1(ef.Linux)
		if ef.UKI != "" || ef.EFI != "" {
			p.diag(v, file, line, "entry has linux and also efi or uki; linux is used")
		}
	case ef.UKI != "":
		f := file1(ef.UKI)
		e.UKI = &f
		cmd, pretty, err := ukiInfo(f, ef.Profile)
		switch {
		case err != nil:
			fail(err)
		case !ef.HasOptions:
			e.Cmdline = cmd
		}
		if it.title == "" {
			it.title = pretty // systemd-boot shows the UKI's name when the entry has no title
		}
	case ef.EFI != "":
		f := file1(ef.EFI)
		e.Kernel = f
		fail(errors.New("unsupported: EFI program " + ef.EFI + " (only Linux kernels can be booted)"))
	default:
		fail(errors.New("no linux, uki or efi key"))
	}
	if !e.Kernel.IsZero() {
		if err := exists(e.Kernel); err != nil {
			fail(err)
		}
	}
	if e.UKI != nil {
		if err := exists(*e.UKI); err != nil {
			fail(err)
		}
	}
	for _, i := range ef.Initrds {
		f := file1(i)
		e.Initrds = append(e.Initrds, f)
		if err := exists(f); err != nil {
			fail(err)
		}
	}
	if ef.Devicetree != "" {
		f := file1(ef.Devicetree)
		e.Devicetree = &f
		if err := exists(f); err != nil {
			fail(err)
		}
	}
	if len(ef.Overlays) > 0 {
		p.diag(v, file, line, "devicetree-overlay is not supported yet; ignored")
	}
	it.e = e
	p.items = append(p.items, it)
}

// resolve makes an entry's path absolute on its volume. Entries in
// /boot/loader/entries on a root file system usually name files relative to
// the volume root ("/boot/vmlinuz-…"), but kernel-install writes them
// relative to /boot; the second is used when only it exists.
func resolve(v *boot.Volume, base, p string) boot.File {
	p = strings.ReplaceAll(p, "\\", "/")
	abs := path.Clean("/" + p)
	if base != "" {
		if _, err := fs.Stat(v.FS, fsPath(abs)); err != nil {
			alt := path.Clean(base + "/" + p)
			if _, err := fs.Stat(v.FS, fsPath(alt)); err == nil {
				abs = alt
			}
		}
	}
	return boot.File{Volume: v, Path: abs}
}

func exists(f boot.File) error {
	st, err := fs.Stat(f.Volume.FS, fsPath(f.Path))
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("%s: file not found", f.Path)
		}
		return fmt.Errorf("%s: %w", f.Path, err)
	}
	if st.IsDir() {
		return fmt.Errorf("%s: is a directory", f.Path)
	}
	return nil
}

// readerAt gives random access to an fs.File: directly when it is an
// io.ReaderAt, else through Seek and Read.
type readerAt struct {
	mu sync.Mutex
	f  fs.File
}

func (r *readerAt) ReadAt(b []byte, off int64) (int, error) {
	if ra, ok := r.f.(io.ReaderAt); ok {
		return ra.ReadAt(b, off)
	}
	s, ok := r.f.(io.Seeker)
	if !ok {
		return 0, errors.New("file does not support random access")
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, err := s.Seek(off, io.SeekStart); err != nil {
		return 0, err
	}
	return io.ReadFull(r.f, b)
}

// openUKI opens a UKI file; close the returned file when done.
func openUKI(f boot.File) (*uki.Image, fs.File, error) {
	fh, err := f.Volume.FS.Open(fsPath(f.Path))
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil, fmt.Errorf("%s: file not found", f.Path)
		}
		return nil, nil, err
	}
	st, err := fh.Stat()
	if err != nil {
		fh.Close()
		return nil, nil, err
	}
	im, err := uki.Open(&readerAt{f: fh}, st.Size())
	if err != nil {
		fh.Close()
		return nil, nil, fmt.Errorf("%s: %w", f.Path, err)
	}
	return im, fh, nil
}

// ukiInfo reads a UKI's command line (for a profile, "" for the default)
// and its os-release name.
func ukiInfo(f boot.File, profile string) (cmdline, name string, err error) {
	im, fh, err := openUKI(f)
	if err != nil {
		return "", "", err
	}
	defer fh.Close()
	n := -1
	if profile != "" {
		if _, err := fmt.Sscanf(profile, "%d", &n); err != nil || n < 0 {
			return "", "", fmt.Errorf("bad profile %q", profile)
		}
	}
	b, err := im.Boot(n)
	if err != nil {
		return "", "", err
	}
	if osrel, err := im.OSRelease(); err == nil && osrel != nil {
		name, _, _ = pickNameVersion(osrel)
	}
	return b.Cmdline, name, nil
}
