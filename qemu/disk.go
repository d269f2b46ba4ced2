package qemu

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
)

// Part is one partition of a disk image made by BuildDisk.
type Part struct {
	Name    string // GPT partition name
	Type    string // sgdisk type code: "ef00" (ESP), "8300" (Linux), "ea00" (XBOOTLDR)
	FS      string // "vfat", "ext4", "xfs", "btrfs" or "squashfs"
	SizeMiB int
	UUID    string // ext4: the UUID; vfat: the 8-hex-digit volume id
	Label   string
	// PartUUID is the GPT partition GUID (random when empty).
	PartUUID string
	// Files maps a path inside the filesystem to a host file.
	Files map[string]string
	// MkfsArgs are extra arguments for mkfs (for example "-O ^metadata_csum").
	MkfsArgs []string
}

// DiskGUID is the GPT disk GUID BuildDisk writes, so images are the same
// from run to run.
const DiskGUID = "5eed0000-1eab-4b00-8000-000000000001"

// BuildDisk writes a GPT disk image with the given partitions, using the
// real tools (sgdisk, mkfs.vfat, mcopy, mkfs.ext4 -d) and byte offsets, so
// it needs neither root nor loop devices.
func BuildDisk(path string, parts []Part) error {
	total := 2 // MiB: 1 MiB before the first partition, room for the backup GPT
	for _, p := range parts {
		total += p.SizeMiB
	}
	os.Remove(path)
	if err := run("truncate", "-s", fmt.Sprintf("%dM", total), path); err != nil {
		return err
	}
	args := []string{"-U", DiskGUID}
	for i, p := range parts {
		n := i + 1
		args = append(args, "-n", fmt.Sprintf("%d:0:+%dM", n, p.SizeMiB), "-t", fmt.Sprintf("%d:%s", n, p.Type), "-c", fmt.Sprintf("%d:%s", n, p.Name))
		if p.PartUUID != "" {
			args = append(args, "-u", fmt.Sprintf("%d:%s", n, p.PartUUID))
		}
	}
	if err := run("sgdisk", append(args, path)...); err != nil {
		return err
	}
	for i, p := range parts {
		start, sectors, err := geometry(path, i+1)
		if err != nil {
			return err
		}
		if err := mkfs(path, start*512, sectors*512, p); err != nil {
			return fmt.Errorf("partition %d: %w", i+1, err)
		}
	}
	return nil
}

func geometry(path string, n int) (start, sectors int64, err error) {
	out, err := exec.Command("partx", "-g", "-o", "START,SECTORS", "-n", fmt.Sprint(n), path).Output()
	if err != nil {
		return 0, 0, fmt.Errorf("partx %s: %w", path, err)
	}
	if _, err := fmt.Sscan(string(out), &start, &sectors); err != nil {
		return 0, 0, fmt.Errorf("partx %s: %q: %w", path, out, err)
	}
	return start, sectors, nil
}

func mkfs(img string, off, size int64, p Part) error {
	switch p.FS {
	case "vfat":
		args := []string{"--offset", fmt.Sprint(off / 512)}
		if p.Label != "" {
			args = append(args, "-n", p.Label)
		}
		if p.UUID != "" {
			args = append(args, "-i", p.UUID)
		}
		args = append(args, p.MkfsArgs...)
		args = append(args, img, fmt.Sprint(size/1024))
		if err := run("mkfs.vfat", args...); err != nil {
			return err
		}
		// mcopy needs the directories first.
		dirs := map[string]bool{}
		for dst := range p.Files {
			for d := filepath.Dir(dst); d != "/" && d != "."; d = filepath.Dir(d) {
				dirs[d] = true
			}
		}
		var ds []string
		for d := range dirs {
			ds = append(ds, d)
		}
		sort.Strings(ds) // parents before children
		at := fmt.Sprintf("%s@@%d", img, off)
		for _, d := range ds {
			if err := run("mmd", "-i", at, "::"+d); err != nil {
				return err
			}
		}
		for _, dst := range sortedKeys(p.Files) {
			if err := run("mcopy", "-i", at, p.Files[dst], "::"+dst); err != nil {
				return err
			}
		}
		return nil
	case "ext4":
		root, err := os.MkdirTemp("", "leapboot-ext4-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(root)
		if err := populate(root, p.Files); err != nil {
			return err
		}
		args := []string{"-F", "-q", "-d", root, "-E", fmt.Sprintf("offset=%d", off)}
		if p.Label != "" {
			args = append(args, "-L", p.Label)
		}
		if p.UUID != "" {
			args = append(args, "-U", p.UUID)
		}
		args = append(args, p.MkfsArgs...)
		args = append(args, img, fmt.Sprintf("%dk", size/1024))
		return run("mkfs.ext4", args...)
	case "xfs", "btrfs", "squashfs":
		return mkfsImage(img, off, size, p)
	}
	return fmt.Errorf("unknown filesystem %q", p.FS)
}

// mkfsImage makes an xfs, btrfs or squashfs filesystem holding p.Files in
// a file of the partition's size, with the real tools, and copies it into
// the disk image at off. btrfs-progs 6.2 cannot make subvolumes without
// mounting, so "@" in a path is a plain directory there.
func mkfsImage(img string, off, size int64, p Part) error {
	tmp, err := os.MkdirTemp("", "leapboot-mkfs-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	root, fsimg := filepath.Join(tmp, "root"), filepath.Join(tmp, "fs.img")
	if err := os.MkdirAll(root, 0o755); err != nil {
		return err
	}
	if err := populate(root, p.Files); err != nil {
		return err
	}
	switch p.FS {
	case "squashfs":
		args := append([]string{root, fsimg, "-noappend", "-all-root", "-quiet", "-no-progress"}, p.MkfsArgs...)
		if err := run("mksquashfs", args...); err != nil {
			return err
		}
	case "btrfs":
		if err := run("truncate", "-s", fmt.Sprint(size), fsimg); err != nil {
			return err
		}
		args := []string{"-q", "-f", "--rootdir", root}
		if p.Label != "" {
			args = append(args, "-L", p.Label)
		}
		if p.UUID != "" {
			args = append(args, "-U", p.UUID)
		}
		if err := run("mkfs.btrfs", append(append(args, p.MkfsArgs...), fsimg)...); err != nil {
			return err
		}
	case "xfs":
		if err := run("truncate", "-s", fmt.Sprint(size), fsimg); err != nil {
			return err
		}
		proto := filepath.Join(tmp, "proto")
		if err := os.WriteFile(proto, []byte(xfsProto(root)), 0o644); err != nil {
			return err
		}
		args := []string{"-q", "-f", "-p", proto}
		if p.Label != "" {
			args = append(args, "-L", p.Label)
		}
		if p.UUID != "" {
			args = append(args, "-m", "uuid="+p.UUID)
		}
		if err := run("mkfs.xfs", append(append(args, p.MkfsArgs...), fsimg)...); err != nil {
			return err
		}
	}
	if st, err := os.Stat(fsimg); err != nil {
		return err
	} else if st.Size() > size {
		return fmt.Errorf("%s image is %d bytes, the partition %d", p.FS, st.Size(), size)
	}
	return run("dd", "if="+fsimg, "of="+img, "bs=512", fmt.Sprintf("seek=%d", off/512), "conv=notrunc,sparse", "status=none")
}

// xfsProto writes mkfs.xfs's prototype file for the tree at root.
func xfsProto(root string) string {
	var b strings.Builder
	b.WriteString("/dev/null\n0 0\nd--755 0 0\n")
	var walk func(dir, indent string)
	walk = func(dir, indent string) {
		ents, _ := os.ReadDir(dir)
		for _, e := range ents {
			p := filepath.Join(dir, e.Name())
			if e.IsDir() {
				fmt.Fprintf(&b, "%s%s d--755 0 0\n", indent, e.Name())
				walk(p, indent+" ")
				fmt.Fprintf(&b, "%s$\n", indent)
			} else {
				fmt.Fprintf(&b, "%s%s ---644 0 0 %s\n", indent, e.Name(), p)
			}
		}
	}
	walk(root, " ")
	b.WriteString("$\n")
	return b.String()
}

// populate copies files (path in the filesystem -> host file) into the
// directory tree at root, for the mkfs tools that take a tree.
func populate(root string, files map[string]string) error {
	for _, dst := range sortedKeys(files) {
		t := filepath.Join(root, dst)
		if err := os.MkdirAll(filepath.Dir(t), 0o755); err != nil {
			return err
		}
		b, err := os.ReadFile(files[dst])
		if err != nil {
			return err
		}
		if err := os.WriteFile(t, b, 0o644); err != nil {
			return err
		}
	}
	return nil
}

func sortedKeys(m map[string]string) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

func run(name string, args ...string) error {
	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(), "MTOOLS_SKIP_CHECK=1", "E2FSPROGS_FAKE_TIME=1", "SOURCE_DATE_EPOCH=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s %s: %w\n%s", name, strings.Join(args, " "), err, out)
	}
	return nil
}
