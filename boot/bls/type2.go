package bls

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/leapboot/leapboot/boot"
	"github.com/leapboot/leapboot/boot/uki"
)

// readUKIs adds the Type #2 entries in base/EFI/Linux.
func (p *parser) readUKIs(v *boot.Volume, base string) {
	dir := base + "/EFI/Linux"
	for _, name := range p.listDir(v, dir, ".efi") {
		if p.ctx.Err() != nil {
			return
		}
		file := dir + "/" + name
		id, cnt := splitCounter(name, ".efi")
		f := boot.File{Volume: v, Path: file}
		broken := func(err error) {
			p.diag(v, file, 0, "%v", err)
			p.items = append(p.items, item{id: strings.ToLower(id), count: cnt, e: boot.Entry{
				ID: id, Source: boot.SourceUKI, Origin: boot.Origin{Volume: v, Path: file}, UKI: &f,
				Err: fmt.Errorf("bls: %w", err),
			}})
		}
		im, fh, err := openUKI(f)
		if err != nil {
			if errors.Is(err, uki.ErrNotUKI) {
				continue // another EFI program that is not a kernel
			}
			broken(err)
			continue
		}
		p.addUKI(v, f, id, cnt, im, broken)
		fh.Close()
	}
}

func (p *parser) addUKI(v *boot.Volume, f boot.File, id string, cnt counter, im *uki.Image, broken func(error)) {
	osrel, err := im.OSRelease()
	if err != nil {
		broken(fmt.Errorf("%s: %w", f.Path, err))
		return
	}
	if osrel == nil {
		broken(fmt.Errorf("%s: no .osrel section, so systemd-boot would not show it", f.Path))
		return
	}
	// bootctl 252 lists a UKI whose os-release lacks a name or a version;
	// the title then falls back to the ID and the version sorts as "".
	name, version, sortKey := pickNameVersion(osrel)
	shownVersion := version
	if shownVersion == "" {
		if u, ok, err := im.Text(".uname", -1); err == nil && ok {
			shownVersion = u
		}
	}
	n := im.Profiles()
	for i := -1; i < n; i++ {
		if i == -1 && n > 0 {
			continue
		}
		it := item{id: strings.ToLower(id), title: name, version: version, sortKey: sortKey,
			hasSortKey: sortKey != "", count: cnt}
		e := boot.Entry{ID: id, Source: boot.SourceUKI, Origin: boot.Origin{Volume: v, Path: f.Path},
			UKI: &f, Version: shownVersion}
		if i >= 0 {
			e.UKIProfile = i
			e.ID = id + "@" + strconv.Itoa(i)
			it.id = strings.ToLower(e.ID)
			info, err := im.ProfileInfo(i)
			label := "@" + strconv.Itoa(i)
			switch {
			case err != nil:
				e.Err = fmt.Errorf("bls: %s: %w", f.Path, err)
			case info.Title != "":
				label = info.Title
			case info.ID != "":
				label = info.ID
			}
			if name == "" {
				name = id
			}
			it.title = name + " (" + label + ")"
		}
		b, err := im.Boot(i)
		if err != nil && e.Err == nil {
			e.Err = fmt.Errorf("bls: %s: %w", f.Path, err)
		}
		e.Cmdline = b.Cmdline
		it.e = e
		p.items = append(p.items, it)
	}
}

// pickNameVersion chooses the title, version and sort key of a UKI from its
// os-release, in systemd's order of preference.
func pickNameVersion(osrel map[string]string) (name, version, sortKey string) {
	first := func(keys ...string) string {
		for _, k := range keys {
			if v := osrel[k]; v != "" {
				return v
			}
		}
		return ""
	}
	return first("PRETTY_NAME", "IMAGE_ID", "NAME", "ID"),
		first("IMAGE_VERSION", "VERSION", "VERSION_ID", "BUILD_ID"),
		first("IMAGE_ID", "ID")
}
