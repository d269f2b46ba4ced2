package probe

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// The tests in this file make images with the real tools and compare what
// Probe and ReadPartitions find with what blkid, sfdisk and sgdisk say.
// Missing tools fail the test with the Debian package to install.

// toolPackages maps each tool the tests run to its Debian package.
var toolPackages = map[string]string{
	"blkid":       "util-linux",
	"sfdisk":      "fdisk",
	"sgdisk":      "gdisk",
	"mkfs.ext2":   "e2fsprogs",
	"mkfs.ext3":   "e2fsprogs",
	"mkfs.ext4":   "e2fsprogs",
	"mkfs.vfat":   "dosfstools",
	"mkfs.xfs":    "xfsprogs",
	"mkfs.btrfs":  "btrfs-progs",
	"xorriso":     "xorriso",
	"genisoimage": "genisoimage",
	"mksquashfs":  "squashfs-tools",
	"mkswap":      "util-linux",
	"cryptsetup":  "cryptsetup-bin",
	"pvcreate":    "lvm2",
	"losetup":     "mount",
	"truncate":    "coreutils",
}

func needTool(t *testing.T, name string) {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		t.Fatalf("%s not found: install the Debian package %q (apt-get install -y --no-install-recommends %s)",
			name, toolPackages[name], toolPackages[name])
	}
}

// run runs a command, failing the test on error.
func run(t *testing.T, dir string, name string, args ...string) string {
	t.Helper()
	needTool(t, name)
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, stderr.String())
	}
	return string(out)
}

// sparse makes an empty sparse file of the given size.
func sparse(t *testing.T, path string, size int64) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := f.Truncate(size); err != nil {
		t.Fatal(err)
	}
}

// ambivalent is the key blkidExport returns alone when blkid reports an
// ambivalent result (exit status 8).
const ambivalent = "(ambivalent)"

// blkidExport runs blkid -p -o export and returns its KEY=value pairs
// without DEVNAME, with blkid's backslash escapes undone.
func blkidExport(t *testing.T, path string, extra ...string) map[string]string {
	t.Helper()
	needTool(t, "blkid")
	args := append([]string{"-p", "-o", "export"}, extra...)
	args = append(args, path)
	out, err := exec.Command("blkid", args...).Output()
	if err != nil {
		if ee, ok := err.(*exec.ExitError); ok && ee.ExitCode() == 2 {
			return map[string]string{} // nothing found
		}
		if ee, ok := err.(*exec.ExitError); ok && ee.ExitCode() == 8 {
			return map[string]string{ambivalent: "yes"}
		}
		t.Fatalf("blkid %s: %v", path, err)
	}
	m := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), "=")
		if !ok || k == "DEVNAME" {
			continue
		}
		var b strings.Builder
		for i := 0; i < len(v); i++ {
			if v[i] == '\\' && i+1 < len(v) {
				i++
			}
			b.WriteByte(v[i])
		}
		m[k] = b.String()
	}
	return m
}

func probeFile(t *testing.T, path string, offset int64) (Identity, error) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	return Probe(offsetReader{f, offset}, st.Size()-offset)
}

type offsetReader struct {
	r   *os.File
	off int64
}

func (o offsetReader) ReadAt(p []byte, off int64) (int, error) { return o.r.ReadAt(p, off+o.off) }

// compareBlkid checks every field blkid prints against Probe.
func compareBlkid(t *testing.T, path string) Identity {
	t.Helper()
	want := blkidExport(t, path)
	id, err := probeFile(t, path, 0)
	if err != nil {
		t.Fatalf("Probe(%s): %v (blkid says %v)", filepath.Base(path), err, want)
	}
	got := id.Fields()
	if !maps.Equal(got, want) {
		keys := slices.Sorted(maps.Keys(maps.Collect(func(yield func(string, string) bool) {
			for k, v := range want {
				yield(k, v)
			}
			for k, v := range got {
				yield(k, v)
			}
		})))
		var diff strings.Builder
		for _, k := range keys {
			if got[k] != want[k] {
				fmt.Fprintf(&diff, "\n  %s: got %q, blkid %q", k, got[k], want[k])
			}
		}
		t.Errorf("%s: Probe differs from blkid -p:%s", filepath.Base(path), diff.String())
	}
	return id
}

// imageCase builds an image in dir and returns its path.
type imageCase struct {
	name  string
	build func(t *testing.T, dir, img string)
	// check, if set, checks the identity beyond blkid equality (the
	// fields the case is about, so a case cannot pass by both being empty).
	check func(t *testing.T, id Identity)
}

func mkfs(size int64, tool string, args ...string) func(t *testing.T, dir, img string) {
	return func(t *testing.T, dir, img string) {
		sparse(t, img, size)
		run(t, dir, tool, append(args, img)...)
	}
}

func wantFields(kv ...string) func(t *testing.T, id Identity) {
	return func(t *testing.T, id Identity) {
		t.Helper()
		f := id.Fields()
		for i := 0; i+1 < len(kv); i += 2 {
			if f[kv[i]] != kv[i+1] {
				t.Errorf("%s = %q, want %q", kv[i], f[kv[i]], kv[i+1])
			}
		}
	}
}

// patch writes b at off in the file.
func patch(t *testing.T, path string, off int64, b []byte) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteAt(b, off); err != nil {
		t.Fatal(err)
	}
}

func fatRootOffset(t *testing.T, path string) int64 {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return (int64(le.Uint16(b[14:])) + int64(b[16])*int64(le.Uint16(b[22:]))) * int64(le.Uint16(b[11:]))
}

const testUUID = "0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9"

var imageCases = []imageCase{
	{name: "ext2", build: mkfs(8<<20, "mkfs.ext2", "-q", "-F", "-L", "boot", "-U", testUUID),
		check: wantFields("TYPE", "ext2", "LABEL", "boot", "UUID", testUUID)},
	{name: "ext3", build: mkfs(8<<20, "mkfs.ext3", "-q", "-F", "-U", testUUID),
		check: wantFields("TYPE", "ext3", "SEC_TYPE", "ext2", "UUID", testUUID)},
	{name: "ext4", build: mkfs(8<<20, "mkfs.ext4", "-q", "-F", "-L", "root", "-U", testUUID),
		check: wantFields("TYPE", "ext4", "LABEL", "root", "UUID", testUUID)},
	{name: "ext4-no-csum", build: mkfs(8<<20, "mkfs.ext4", "-q", "-F", "-O", "^metadata_csum", "-L", "old"),
		check: wantFields("TYPE", "ext4", "LABEL", "old")},
	{name: "ext4-inline-data", build: mkfs(8<<20, "mkfs.ext4", "-q", "-F", "-O", "inline_data", "-b", "4096"),
		check: wantFields("TYPE", "ext4", "BLOCK_SIZE", "4096")},
	{name: "ext4-no-journal-is-ext4", build: mkfs(8<<20, "mkfs.ext4", "-q", "-F", "-O", "^has_journal"),
		check: wantFields("TYPE", "ext4")},
	{name: "ext4-as-ext2", build: mkfs(8<<20, "mkfs.ext4", "-q", "-F", "-O", "^has_journal,^extent,^64bit,^flex_bg,^huge_file,^dir_nlink,^extra_isize,^metadata_csum"),
		check: wantFields("TYPE", "ext2")},
	{name: "ext4-csum-broken", build: func(t *testing.T, dir, img string) {
		mkfs(8<<20, "mkfs.ext4", "-q", "-F", "-L", "csum")(t, dir, img)
		patch(t, img, 1024+0x3FC, []byte{1, 2, 3, 4}) // blkid ignores a wrong superblock checksum
	}, check: wantFields("TYPE", "ext4", "LABEL", "csum")},
	{name: "ambivalent-ext2-squashfs", build: func(t *testing.T, dir, img string) {
		mkfs(8<<20, "mkfs.ext2", "-q", "-F")(t, dir, img)
		patch(t, img, 0, []byte("hsqs"))
		patch(t, img, 28, []byte{4, 0, 0, 0})
	}},
	{name: "tiny-iso-with-ext2-first-wins", build: func(t *testing.T, dir, img string) {
		isoWithExt2(t, dir, img, 0)
	}, check: wantFields("TYPE", "ext2")},
	{name: "iso-with-ext2-ambivalent", build: func(t *testing.T, dir, img string) {
		isoWithExt2(t, dir, img, 2<<20)
	}},
	{name: "fat12", build: mkfs(4<<20, "mkfs.vfat", "-F", "12", "-n", "MYLAB", "-i", "1234abcd"),
		check: wantFields("TYPE", "vfat", "VERSION", "FAT12", "LABEL", "MYLAB", "LABEL_FATBOOT", "MYLAB", "UUID", "1234-ABCD")},
	{name: "fat16-nolabel", build: mkfs(20<<20, "mkfs.vfat", "-F", "16", "-i", "DEADBEEF"),
		check: wantFields("TYPE", "vfat", "VERSION", "FAT16", "LABEL", "", "UUID", "DEAD-BEEF", "SEC_TYPE", "msdos")},
	{name: "fat16-label", build: mkfs(20<<20, "mkfs.vfat", "-F", "16", "-n", "Data Disk"),
		check: wantFields("LABEL", "Data Disk")},
	{name: "fat32", build: mkfs(40<<20, "mkfs.vfat", "-F", "32", "-n", "ESP", "-i", "0a0b0c0d"),
		check: wantFields("TYPE", "vfat", "VERSION", "FAT32", "LABEL", "ESP", "UUID", "0A0B-0C0D")},
	{name: "fat32-nolabel", build: mkfs(40<<20, "mkfs.vfat", "-F", "32"),
		check: wantFields("VERSION", "FAT32", "LABEL", "")},
	{name: "fat32-4k-clusters", build: mkfs(64<<20, "mkfs.vfat", "-F", "32", "-s", "8", "-n", "BIGCLUST"),
		check: wantFields("LABEL", "BIGCLUST")},
	{name: "fat16-root-label-differs", build: func(t *testing.T, dir, img string) {
		mkfs(20<<20, "mkfs.vfat", "-F", "16", "-n", "BOOTSECT")(t, dir, img)
		patch(t, img, fatRootOffset(t, img), []byte("ROOTDIR    "))
	}, check: wantFields("LABEL", "ROOTDIR", "LABEL_FATBOOT", "BOOTSECT")},
	{name: "fat16-root-label-no-name", build: func(t *testing.T, dir, img string) {
		mkfs(20<<20, "mkfs.vfat", "-F", "16", "-n", "FOO")(t, dir, img)
		patch(t, img, fatRootOffset(t, img), []byte("NO NAME    "))
	}, check: wantFields("LABEL", "NO NAME", "LABEL_FATBOOT", "FOO")},
	{name: "fat16-old-bpb", build: func(t *testing.T, dir, img string) {
		mkfs(20<<20, "mkfs.vfat", "-F", "16", "-n", "FOO")(t, dir, img)
		patch(t, img, 0x26, []byte{0x28}) // 0x28: serial but no boot-sector label
	}, check: wantFields("LABEL", "FOO", "LABEL_FATBOOT", "")},
	{name: "xfs", build: mkfs(300<<20, "mkfs.xfs", "-q", "-L", "xroot", "-m", "uuid="+testUUID),
		check: wantFields("TYPE", "xfs", "LABEL", "xroot", "UUID", testUUID)},
	{name: "btrfs", build: mkfs(120<<20, "mkfs.btrfs", "-q", "-L", "broot", "-U", testUUID),
		check: wantFields("TYPE", "btrfs", "LABEL", "broot", "UUID", testUUID)},
	{name: "swap", build: mkfs(1<<20, "mkswap", "-q", "-L", "swp", "-U", testUUID),
		check: wantFields("TYPE", "swap", "LABEL", "swp", "UUID", testUUID, "VERSION", "1")},
	{name: "iso-xorriso", build: func(t *testing.T, dir, img string) {
		isoTree(t, dir)
		run(t, dir, "xorriso", "-as", "mkisofs", "-quiet", "-V", "LEAPBOOT_ISO", "-o", img, "tree")
	}, check: wantFields("TYPE", "iso9660", "LABEL", "LEAPBOOT_ISO")},
	{name: "iso-genisoimage-joliet", build: func(t *testing.T, dir, img string) {
		isoTree(t, dir)
		run(t, dir, "genisoimage", "-quiet", "-J", "-R", "-V", "Mixed Case lbl", "-p", "Preparer", "-publisher", "Pub Co", "-o", img, "tree")
	}, check: wantFields("TYPE", "iso9660", "VERSION", "Joliet Extension", "LABEL", "Mixed Case lbl", "PUBLISHER_ID", "Pub Co")},
	{name: "iso-eltorito", build: func(t *testing.T, dir, img string) {
		isoTree(t, dir)
		if err := os.WriteFile(filepath.Join(dir, "tree", "boot.img"), make([]byte, 2048), 0o644); err != nil {
			t.Fatal(err)
		}
		run(t, dir, "genisoimage", "-quiet", "-V", "BOOTME", "-b", "boot.img", "-no-emul-boot", "-o", img, "tree")
	}, check: wantFields("BOOT_SYSTEM_ID", "EL TORITO SPECIFICATION", "LABEL", "BOOTME")},
	{name: "iso-hybrid-dos", build: func(t *testing.T, dir, img string) {
		isoTree(t, dir)
		run(t, dir, "xorriso", "-as", "mkisofs", "-quiet", "-V", "HYBRID", "-o", img, "tree")
		// A partition table in the (empty) system area, as isohybrid does.
		sfdiskScript(t, dir, img, "label: dos\nlabel-id: 0xcafe0001\nstart=64, type=17, bootable\n")
	}, check: wantFields("TYPE", "iso9660", "PTTYPE", "dos", "PTUUID", "cafe0001")},
	{name: "squashfs", build: func(t *testing.T, dir, img string) {
		isoTree(t, dir)
		run(t, dir, "mksquashfs", "tree", img, "-quiet", "-noappend", "-no-progress")
	}, check: wantFields("TYPE", "squashfs", "VERSION", "4.0")},
	{name: "luks1", build: func(t *testing.T, dir, img string) {
		luks(t, dir, img, "--type", "luks1", "--uuid", testUUID)
	}, check: wantFields("TYPE", "crypto_LUKS", "VERSION", "1", "UUID", testUUID, "USAGE", "crypto")},
	{name: "luks2", build: func(t *testing.T, dir, img string) {
		luks(t, dir, img, "--type", "luks2", "--uuid", testUUID, "--label", "cryptroot", "--subsystem", "leap")
	}, check: wantFields("TYPE", "crypto_LUKS", "VERSION", "2", "UUID", testUUID, "LABEL", "cryptroot", "SUBSYSTEM", "leap")},
	{name: "luks2-secondary-only", build: func(t *testing.T, dir, img string) {
		luks(t, dir, img, "--type", "luks2", "--uuid", testUUID)
		patch(t, img, 0, make([]byte, 4096)) // primary header wiped
	}, check: wantFields("TYPE", "crypto_LUKS", "UUID", testUUID)},
	{name: "gpt", build: func(t *testing.T, dir, img string) {
		gptDisk(t, dir, img)
	}, check: wantFields("PTTYPE", "gpt", "PTUUID", "5c9d2a1e-1f0b-4c3a-9a55-0123456789ab")},
	{name: "dos-logical", build: func(t *testing.T, dir, img string) {
		dosDisk(t, dir, img)
	}, check: wantFields("PTTYPE", "dos", "PTUUID", "1234abcd")},
}

// isoWithExt2 makes an ISO image with an ext2 superblock at 1 KiB, grown
// to size bytes if that is larger: on a floppy-sized device blkid takes
// the first match (ext2), on a larger one the two are ambivalent.
func isoWithExt2(t *testing.T, dir, img string, size int64) {
	t.Helper()
	isoTree(t, dir)
	run(t, dir, "genisoimage", "-quiet", "-V", "TWO", "-o", img, "tree")
	e2 := filepath.Join(dir, "e2")
	mkfs(2<<20, "mkfs.ext2", "-q", "-F", "-L", "e2")(t, dir, e2)
	b, err := os.ReadFile(e2)
	if err != nil {
		t.Fatal(err)
	}
	patch(t, img, 1024, b[1024:2048])
	if size > 0 {
		if err := os.Truncate(img, size); err != nil {
			t.Fatal(err)
		}
	}
}

func isoTree(t *testing.T, dir string) {
	t.Helper()
	for _, p := range []string{"tree/boot/grub/grub.cfg", "tree/EFI/BOOT/readme.txt"} {
		p = filepath.Join(dir, p)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("hello\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func luks(t *testing.T, dir, img string, args ...string) {
	t.Helper()
	sparse(t, img, 20<<20)
	key := filepath.Join(dir, "key")
	if err := os.WriteFile(key, []byte("not a secret"), 0o600); err != nil {
		t.Fatal(err)
	}
	base := []string{"luksFormat", "-q", "--batch-mode", "--pbkdf", "pbkdf2", "--iter-time", "1", "--key-file", key}
	if slices.Contains(args, "luks1") {
		base = []string{"luksFormat", "-q", "--batch-mode", "--iter-time", "1", "--key-file", key}
	}
	run(t, dir, "cryptsetup", append(append(base, args...), img)...)
}

func sfdiskScript(t *testing.T, dir, img, script string) {
	t.Helper()
	needTool(t, "sfdisk")
	cmd := exec.Command("sfdisk", "-q", "--no-reread", "--no-tell-kernel", img)
	cmd.Dir = dir
	cmd.Stdin = strings.NewReader(script)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("sfdisk: %v\n%s", err, out)
	}
}

func gptDisk(t *testing.T, dir, img string) {
	t.Helper()
	sparse(t, img, 8<<20)
	run(t, dir, "sgdisk", "-U", "5c9d2a1e-1f0b-4c3a-9a55-0123456789ab",
		"-n", "1:2048:+2M", "-t", "1:ef00", "-c", "1:EFI system", "-u", "1:"+testUUID,
		"-n", "2:0:+1M", "-t", "2:8300", "-c", "2:rööt ✓",
		"-n", "4:0:+1M", "-t", "4:8200", "-c", "4:swap",
		"-n", "5:0:0", "-t", "5:ea00", "-c", "5:XBOOTLDR", img)
	run(t, dir, "mkfs.vfat", "-n", "ESP", "--offset=2048", img, "2048")
}

func dosDisk(t *testing.T, dir, img string) {
	t.Helper()
	sparse(t, img, 12<<20)
	sfdiskScript(t, dir, img, "label: dos\nlabel-id: 0x1234abcd\n,2M,c,*\n,1M,83\n,,5\n,1M,83\n,1M,82\n,1M,83\n")
}

func TestProbeMatchesBlkid(t *testing.T) {
	for _, c := range imageCases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			img := filepath.Join(dir, "img")
			c.build(t, dir, img)
			want := blkidExport(t, img)
			id, err := probeFile(t, img, 0)
			if want[ambivalent] != "" {
				if !errors.Is(err, ErrAmbivalent) {
					t.Fatalf("blkid: ambivalent; Probe: %+v, %v", id, err)
				}
				return
			}
			if len(want) == 0 {
				if err == nil {
					t.Fatalf("blkid finds nothing, Probe finds %+v", id)
				}
				return
			}
			id = compareBlkid(t, img)
			if c.check != nil {
				c.check(t, id)
			}
		})
	}
}

// TestProbeLVM2 needs a loop device: pvcreate refuses plain files.
func TestProbeLVM2(t *testing.T) {
	needTool(t, "pvcreate")
	needTool(t, "losetup")
	dir := t.TempDir()
	img := filepath.Join(dir, "pv")
	sparse(t, img, 16<<20)
	out, err := exec.Command("losetup", "--find", "--show", img).Output()
	if err != nil {
		// The stored PV label in testdata is checked by TestProbeStoredImages.
		t.Skipf("no loop device here (losetup: %v); the stored LVM label is tested instead", err)
	}
	loop := strings.TrimSpace(string(out))
	defer exec.Command("losetup", "-d", loop).Run()
	run(t, dir, "pvcreate", "-q", "--config", "devices{use_devicesfile=0}", "-u", "HDMhV5-IkHh-XRgr-fpod-5hUm-yqrp-OtehGz", "--norestorefile", loop)
	id := compareBlkid(t, img)
	wantFields("TYPE", "LVM2_member", "UUID", "HDMhV5-IkHh-XRgr-fpod-5hUm-yqrp-OtehGz", "VERSION", "LVM2 001", "USAGE", "raid")(t, id)
}

// sfdiskJSON is the part of `sfdisk --json` the tests compare.
type sfdiskJSON struct {
	PartitionTable struct {
		Label      string `json:"label"`
		ID         string `json:"id"`
		SectorSize int64  `json:"sectorsize"`
		Partitions []struct {
			Node     string `json:"node"`
			Start    int64  `json:"start"`
			Size     int64  `json:"size"`
			Type     string `json:"type"`
			UUID     string `json:"uuid"`
			Name     string `json:"name"`
			Bootable bool   `json:"bootable"`
		} `json:"partitions"`
	} `json:"partitiontable"`
}

func readPartitionsFile(t *testing.T, img string) Table {
	t.Helper()
	f, err := os.Open(img)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, _ := f.Stat()
	tab, err := ReadPartitions(f, st.Size(), 512)
	if err != nil {
		t.Fatalf("ReadPartitions: %v", err)
	}
	return tab
}

// comparePartitions checks ReadPartitions against sfdisk --json.
func comparePartitions(t *testing.T, dir, img string) Table {
	t.Helper()
	var sf sfdiskJSON
	if err := json.Unmarshal([]byte(run(t, dir, "sfdisk", "--json", img)), &sf); err != nil {
		t.Fatal(err)
	}
	pt := sf.PartitionTable
	tab := readPartitionsFile(t, img)
	wantID := strings.ToLower(strings.TrimPrefix(pt.ID, "0x"))
	if tab.Type != pt.Label || tab.UUID != wantID {
		t.Errorf("table %s %s, sfdisk %s %s", tab.Type, tab.UUID, pt.Label, wantID)
	}
	if len(tab.Partitions) != len(pt.Partitions) {
		t.Fatalf("%d partitions, sfdisk %d: %+v", len(tab.Partitions), len(pt.Partitions), tab.Partitions)
	}
	for i, w := range pt.Partitions {
		p := tab.Partitions[i]
		num, _ := strconv.Atoi(strings.TrimPrefix(w.Node, img))
		wantType := strings.ToLower(w.Type)
		wantUUID := strings.ToLower(w.UUID)
		if pt.Label == "dos" {
			n, _ := strconv.ParseUint(w.Type, 16, 8)
			wantType = fmt.Sprintf("0x%02x", n)
			wantUUID = fmt.Sprintf("%s-%02x", wantID, num)
		}
		got := fmt.Sprintf("%d %d+%d %s %s %q boot=%v", p.Number, p.Start, p.Size, p.Type, p.PartUUID, p.Name, p.Flags&0x80 != 0 && pt.Label == "dos")
		want := fmt.Sprintf("%d %d+%d %s %s %q boot=%v", num, w.Start*pt.SectorSize, w.Size*pt.SectorSize, wantType, wantUUID, w.Name, w.Bootable)
		if got != want {
			t.Errorf("partition %d:\n got  %s\n want %s", i, got, want)
		}
		if p.Err != nil {
			t.Errorf("partition %d: unexpected problem: %v", p.Number, p.Err)
		}
	}
	return tab
}

func TestReadPartitionsGPT(t *testing.T) {
	dir := t.TempDir()
	img := filepath.Join(dir, "disk")
	gptDisk(t, dir, img)
	tab := comparePartitions(t, dir, img)
	if len(tab.Problems) != 0 {
		t.Errorf("problems: %v", tab.Problems)
	}
	// sgdisk -i prints the unique GUID the way blkid's PARTUUID is.
	out := run(t, dir, "sgdisk", "-i", "1", img)
	if !strings.Contains(strings.ToLower(out), "partition unique guid: "+testUUID) {
		t.Errorf("sgdisk -i 1 does not show %s:\n%s", testUUID, out)
	}
	if p := tab.Partitions[0]; p.PartUUID != testUUID || p.Name != "EFI system" || p.Type != "c12a7328-f81f-11d2-ba4b-00a0c93ec93b" {
		t.Errorf("partition 1 = %+v", p)
	}
	if p := tab.Partitions[1]; p.Name != "rööt ✓" {
		t.Errorf("partition 2 name %q", p.Name)
	}
	if p := tab.Partitions[2]; p.Number != 4 {
		t.Errorf("third entry numbered %d, want 4 (entry index + 1)", p.Number)
	}
	// The filesystem inside partition 1 is probed at its offset.
	want := blkidExport(t, img, "--offset", strconv.FormatInt(tab.Partitions[0].Start, 10))
	id, err := probeFile(t, img, tab.Partitions[0].Start)
	if err != nil || !maps.Equal(id.Fields(), want) {
		t.Errorf("partition 1: Probe %v %v, blkid %v", id.Fields(), err, want)
	}

	// Primary header damaged: the backup is used, and says so.
	patch(t, img, 512+56, []byte("garbage")) // in the disk GUID: header CRC fails
	tab2 := readPartitionsFile(t, img)
	if len(tab2.Problems) != 1 || !slices.EqualFunc(tab2.Partitions, tab.Partitions, func(a, b Partition) bool {
		return a.Start == b.Start && a.Size == b.Size && a.PartUUID == b.PartUUID
	}) {
		t.Errorf("backup header: problems %v, partitions %+v", tab2.Problems, tab2.Partitions)
	}
	if got := compareBlkid(t, img); got.PTType != "gpt" {
		t.Errorf("blkid does not use the backup header either: %v", got)
	}

	// Both headers damaged: no table, and blkid calls the disk "PMBR".
	st, _ := os.Stat(img)
	patch(t, img, st.Size()-512+56, []byte("garbage"))
	f, _ := os.Open(img)
	defer f.Close()
	if _, err := ReadPartitions(f, st.Size(), 512); !errors.Is(err, ErrBadTable) {
		t.Errorf("both headers damaged: err = %v, want ErrBadTable", err)
	} else {
		t.Logf("both headers damaged: %v", err)
	}
	if got := compareBlkid(t, img); got.PTType != "PMBR" {
		t.Errorf("both headers damaged: PTTYPE %q, want PMBR", got.PTType)
	}
}

func TestReadPartitionsDOS(t *testing.T) {
	dir := t.TempDir()
	img := filepath.Join(dir, "disk")
	dosDisk(t, dir, img)
	tab := comparePartitions(t, dir, img)
	var nums []int
	for _, p := range tab.Partitions {
		nums = append(nums, p.Number)
	}
	if !slices.Equal(nums, []int{1, 2, 3, 5, 6, 7}) {
		t.Errorf("numbers %v", nums)
	}
	if p := tab.Partitions[4]; p.PartUUID != "1234abcd-06" || p.Type != "0x82" {
		t.Errorf("partition 6 = %+v", p)
	}
}
