// Package sources reads every kind of boot configuration (GRUB, BLS and
// UKIs, syslinux) from a set of volumes and merges the menus in the owner's
// order. It is the one place that knows all the parsers.
//
// A disk anyone can plug in must not stop the boot: every parser bounds its
// work (file sizes, steps, nesting, includes, entries), so Read over any
// volumes ends within 15 s (well under one on a quiet machine) and 256 MiB
// allocated, with a diagnostic naming
// the file (and line) for whatever was cut short, and every other entry
// intact. hostile_test.go holds the corpus of hostile disks that checks it.
package sources

import (
	"context"
	"fmt"
	"io/fs"

	"github.com/leapboot/leapboot/boot"
	"github.com/leapboot/leapboot/boot/bls"
	"github.com/leapboot/leapboot/boot/grub"
	"github.com/leapboot/leapboot/boot/syslinux"
)

// DefaultOrder is the order sources are read and shown in.
var DefaultOrder = []boot.Source{boot.SourceGRUB, boot.SourceBLS, boot.SourceSyslinux}

type options struct {
	platform string
	order    []boot.Source
	efivars  fs.FS
}

// Option configures Read.
type Option func(*options)

// WithPlatform says how the machine booted, "efi" or "pc" (GRUB's
// $grub_platform).
func WithPlatform(p string) Option { return func(o *options) { o.platform = p } }

// WithOrder sets which sources are read, in which order. "uki" entries come
// with "bls".
func WithOrder(order ...boot.Source) Option { return func(o *options) { o.order = order } }

// WithEFIVars gives the BLS reader the machine's EFI variables (an
// efivarfs), so systemd-boot's one-shot and default entries count.
func WithEFIVars(efivars fs.FS) Option { return func(o *options) { o.efivars = efivars } }

// Read parses every source over vols and merges the menus.
func Read(ctx context.Context, vols []*boot.Volume, opts ...Option) boot.Menu {
	o := options{platform: "pc", order: DefaultOrder}
	for _, opt := range opts {
		opt(&o)
	}
	var menus []boot.Menu
	for _, s := range o.order {
		switch s {
		case boot.SourceGRUB:
			menus = append(menus, grub.Parse(ctx, vols, grub.WithPlatform(o.platform)))
		case boot.SourceBLS, boot.SourceUKI:
			var bo []bls.Option
			if o.efivars != nil {
				bo = append(bo, bls.WithEFIVars(o.efivars))
			}
			menus = append(menus, bls.Parse(ctx, vols, bo...))
		case boot.SourceSyslinux:
			menus = append(menus, syslinux.Parse(ctx, vols))
		default:
			menus = append(menus, boot.Menu{Default: -1, Diagnostics: []boot.Diagnostic{{Message: fmt.Sprintf("unknown source %q", s)}}})
		}
	}
	return boot.Merge(menus...)
}
