package grub

import (
	"errors"
	"strings"

	"github.com/leapboot/leapboot/boot"
)

// SUSE's GRUB reads btrfs paths relative to a subvolume: with
// $btrfs_relative_path set to "y", a path is looked up in a subvolume that
// btrfs-mount-subvol mounted over it, else in $btrfs_subvol, else in the
// default subvolume. openSUSE sets it in grub.cfg (and its core image), and
// its snapshot entries set $btrfs_subvol to the snapshot before they
// configfile the snapshot's own grub.cfg. Upstream GRUB has none of this:
// paths start at the top level.

// btrfsVars are kept across new contexts whether exported or not: SUSE's
// btrfs module exports them when it loads.
var btrfsVars = map[string]bool{"btrfs_relative_path": true, "btrfs_subvol": true, "btrfs_subvolid": true}

// btrfsMount is one btrfs-mount-subvol: paths at and under dir on the
// volume are read from the subvolume subvol (a path from the top level).
type btrfsMount struct {
	vol    *boot.Volume
	dir    string
	subvol string
}

func (i *interp) btrfsRelative() bool {
	v := i.get("btrfs_relative_path")
	return v == "y" || v == "yes"
}

// btrfsPath maps a clean GRUB path on v to a path from the top level.
func (i *interp) btrfsPath(v *boot.Volume, p string) string {
	from, to := i.btrfsMap(v, p)
	if from == "" {
		return p
	}
	return cleanPath(to + "/" + strings.TrimPrefix(p, from))
}

// btrfsUnmap turns a top-level path that btrfsPath made from a path
// under grubPath back into the path GRUB shows.
func (i *interp) btrfsUnmap(v *boot.Volume, grubPath, top string) string {
	from, to := i.btrfsMap(v, grubPath)
	if from == "" {
		return top
	}
	return cleanPath(from + "/" + strings.TrimPrefix(cleanPath(top), cleanPath(to)))
}

// btrfsMap says which prefix of p (from) is read from which directory of
// the top level (to); from is "" when p is read as it is.
func (i *interp) btrfsMap(v *boot.Volume, p string) (from, to string) {
	if v.FSType != "btrfs" || !i.btrfsRelative() {
		return "", ""
	}
	best := -1
	for k, m := range i.btrfsMounts {
		if m.vol == v && (p == m.dir || strings.HasPrefix(p, m.dir+"/") || m.dir == "/") &&
			(best < 0 || len(m.dir) > len(i.btrfsMounts[best].dir)) {
			best = k
		}
	}
	if best >= 0 {
		return i.btrfsMounts[best].dir, i.btrfsMounts[best].subvol
	}
	if s := i.get("btrfs_subvol"); s != "" {
		return "/", s
	}
	return "/", v.BtrfsDefault
}

// cmdBtrfsMountSubvol is SUSE's btrfs-mount-subvol DEVICE DIR SUBVOL.
func cmdBtrfsMountSubvol(i *interp, argv []string) (ctl, error) {
	if len(argv) != 4 {
		return ctlNone, errors.New("three arguments expected (device, directory, subvolume)")
	}
	dev := strings.Trim(argv[1], "()")
	v := i.devs.lookup(dev)
	if v == nil {
		return ctlNone, &noDeviceError{name: argv[1]}
	}
	if v.FSType != "btrfs" {
		return ctlNone, errors.New(argv[1] + " is not btrfs")
	}
	if len(i.btrfsMounts) < 64 {
		i.btrfsMounts = append(i.btrfsMounts, btrfsMount{vol: v, dir: cleanPath(argv[2]), subvol: cleanPath(argv[3])})
	}
	return ctlNone, nil
}
