package grub

import (
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// mkconfigGrubCommon is the grub-common version the committed
// debian-12-mkconfig-* and proxmox-ve-8-mkconfig-* grub.cfg files were
// generated with.
const mkconfigGrubCommon = "2.06-13+deb12u2"

// mkconfigCase is one corpus case whose boot/grub/grub.cfg is the output
// of this machine's Debian grub-mkconfig, run against the case's own
// /boot and /etc/default. The probe fields are what the grub-probe stub
// answers for the root device (grub-probe reads real disks; the fake
// system has none).
type mkconfigCase struct {
	name   string // corpus case directory
	volume string // subdirectory that is the root filesystem, or ""
	efi    bool   // fake /sys/firmware/efi with OsIndicationsSupported = BOOT_TO_FW_UI

	device      string // --target=device for every path
	partmap     string
	fs          string
	abstraction string
	compat      string // --target=compatibility_hint
	hints       string // --target=hints_string (grub-probe ends it with a space)
	partuuid    string
}

var mkconfigCases = []mkconfigCase{
	{
		// Debian 12 BIOS install on an msdos disk, /etc/default/grub as shipped.
		name: "debian-12-mkconfig-default", device: "/dev/sda1", partmap: "msdos", fs: "ext2",
		compat: "hd0,msdos1", hints: "--hint-bios=hd0,msdos1 --hint-efi=hd0,msdos1 --hint-baremetal=ahci0,msdos1 ",
		partuuid: "5d2c8a11-01",
	},
	{
		// Debian 12 UEFI install (GPT: ESP, root), GRUB_DEFAULT=saved + GRUB_SAVEDEFAULT=true.
		name: "debian-12-mkconfig-saved-efi", volume: "rootfs", efi: true, device: "/dev/sda2", partmap: "gpt", fs: "ext2",
		compat: "hd0,gpt2", hints: "--hint-bios=hd0,gpt2 --hint-efi=hd0,gpt2 --hint-baremetal=ahci0,gpt2 ",
		partuuid: "0c6f4a3e-8d2b-4f71-b5a9-2e7d1c9f8b64",
	},
	{
		// GRUB_TIMEOUT_STYLE=hidden, GRUB_TIMEOUT=0.
		name: "debian-12-mkconfig-hidden", device: "/dev/vda1", partmap: "msdos", fs: "ext2",
		compat: "hd0,msdos1", hints: "--hint-bios=hd0,msdos1 --hint-efi=hd0,msdos1 --hint-baremetal=ahci0,msdos1 ",
		partuuid: "a41e0b7c-01",
	},
	{
		// GRUB_DISABLE_SUBMENU=y, serial console, GRUB_CMDLINE_LINUX.
		name: "debian-12-mkconfig-nosubmenu-serial", device: "/dev/vda1", partmap: "msdos", fs: "ext2",
		compat: "hd0,msdos1", hints: "--hint-bios=hd0,msdos1 --hint-efi=hd0,msdos1 --hint-baremetal=ahci0,msdos1 ",
		partuuid: "3f9d62a0-01",
	},
	{
		// Proxmox VE 8 (Debian 12 based) default ext4-on-LVM install: / and
		// /boot on the pve/root LV.
		name: "proxmox-ve-8-mkconfig-lvm", device: "/dev/mapper/pve-root", partmap: "gpt", fs: "ext2", abstraction: "lvm",
		compat: "lvmid/Xg3bTq-9mYc-Lr2W-dE5k-Qp7N-hs4J-vB1aZK/Ud8Cw2-Rf6T-nK1p-Ys3E-gM9q-Lx5V-tH7oPj",
		hints:  "--hint='lvmid/Xg3bTq-9mYc-Lr2W-dE5k-Qp7N-hs4J-vB1aZK/Ud8Cw2-Rf6T-nK1p-Ys3E-gM9q-Lx5V-tH7oPj' ",
	},
}

// TestMkconfig regenerates the grub.cfg of the mkconfig corpus cases with
// the grub-mkconfig and /etc/grub.d of this machine's grub-common, and
// compares it byte for byte with the committed one (-update rewrites it).
// It needs root and a Debian grub-common: in a private mount namespace it
// puts the case's /boot and /etc/default in place, the packaged
// /etc/grub.d scripts, a grub-probe and grub-mkrelpath stub, a /dev with
// /dev/disk/by-uuid, and a /sys that has EFI variables only when the case
// asks for them.
func TestMkconfig(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Fatal("TestMkconfig needs root: it runs grub-mkconfig in a private mount namespace (unshare -m)")
	}
	for _, tool := range []string{"unshare", "mount", "dpkg-query", "/usr/sbin/grub-mkconfig", "/usr/bin/grub-editenv", "/usr/bin/grub-script-check"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("TestMkconfig needs %s (install grub-common and util-linux): %v", tool, err)
		}
	}
	out, err := exec.Command("dpkg-query", "-W", "-f=${Version}", "grub-common").Output()
	if err != nil {
		t.Fatalf("grub-common is not installed (apt-get install grub-common): %v", err)
	}
	version := string(out)
	if strings.Contains(version, "ubuntu") {
		t.Fatalf("grub-common %s is Ubuntu's: its 10_linux differs from Debian's; these cases are Debian grub-mkconfig output", version)
	}
	scripts := packagedGrubD(t)
	for _, c := range mkconfigCases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			got := runMkconfig(t, c, scripts)
			path := filepath.Join("testdata/corpus", c.name, c.volume, "boot/grub/grub.cfg")
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("grub-mkconfig (grub-common %s; the file was made with %s) gives a different %s "+
					"(go test -run TestMkconfig -update rewrites it; then regenerate and re-check the goldens):\n%s",
					version, mkconfigGrubCommon, path, lineDiff(string(want), string(got)))
			}
		})
	}
}

// packagedGrubD returns the /etc/grub.d files that grub-common ships,
// failing if any was changed locally (a changed conffile would make
// output that no Debian system gives).
func packagedGrubD(t *testing.T) []string {
	t.Helper()
	out, err := exec.Command("dpkg-query", "-W", "-f=${Conffiles}", "grub-common").Output()
	if err != nil {
		t.Fatalf("dpkg-query grub-common conffiles: %v", err)
	}
	var files []string
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 || !strings.HasPrefix(f[0], "/etc/grub.d/") {
			continue
		}
		b, err := os.ReadFile(f[0])
		if err != nil {
			t.Fatalf("grub-common conffile %s: %v", f[0], err)
		}
		sum := md5.Sum(b)
		if hex.EncodeToString(sum[:]) != f[1] {
			t.Fatalf("%s was modified locally (md5 differs from grub-common's): cannot make Debian's output", f[0])
		}
		files = append(files, f[0])
	}
	if len(files) == 0 {
		t.Fatal("grub-common lists no /etc/grub.d conffiles")
	}
	return files
}

// runMkconfig builds the fake system for c in a temp dir and runs
// grub-mkconfig -o /boot/grub/grub.cfg in it; it returns that file.
func runMkconfig(t *testing.T, c mkconfigCase, scripts []string) []byte {
	t.Helper()
	src := filepath.Join("testdata/corpus", c.name, c.volume)
	uuidb, err := os.ReadFile(filepath.Join(src, "UUID"))
	if err != nil {
		t.Fatal(err)
	}
	uuid := strings.TrimSpace(string(uuidb))
	T := t.TempDir()
	root := filepath.Join(T, "root")
	// The case's /boot and /etc/default, without sidecars and without the grub.cfg to be made.
	for _, top := range []string{"boot", "etc/default"} {
		err := filepath.WalkDir(filepath.Join(src, top), func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(src, p)
			dst := filepath.Join(root, rel)
			if d.IsDir() {
				return os.MkdirAll(dst, 0o755)
			}
			if rel == filepath.Join("boot", "grub", "grub.cfg") {
				return nil
			}
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			return os.WriteFile(dst, b, 0o644)
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	grubd := filepath.Join(T, "grub.d")
	mustMkdir(t, grubd)
	for _, s := range scripts {
		b, err := os.ReadFile(s)
		if err != nil {
			t.Fatal(err)
		}
		fi, err := os.Stat(s)
		if err != nil {
			t.Fatal(err)
		}
		mustWrite(t, filepath.Join(grubd, filepath.Base(s)), string(b), fi.Mode().Perm())
	}
	probe := fmt.Sprintf(`#!/bin/sh
# grub-probe stub: every path is on the root device %[1]s.
target=
while [ $# -gt 0 ]; do
	case "$1" in
	--target=*) target="${1#--target=}" ;;
	-t|--target) shift; target="$1" ;;
	esac
	shift
done
case "$target" in
device) echo '%[1]s' ;;
fs) echo '%[2]s' ;;
fs_uuid) echo '%[3]s' ;;
partuuid) [ -n '%[4]s' ] || exit 1; echo '%[4]s' ;;
partmap) echo '%[5]s' ;;
abstraction) [ -z '%[6]s' ] || echo '%[6]s' ;;
compatibility_hint) echo '%[7]s' ;;
hints_string) printf '%%s\n' "%[8]s" ;;
drive) echo '(%[7]s)' ;;
cryptodisk_uuid|fs_label) ;;
*) echo "grub-probe stub: unexpected --target=$target" >&2; exit 1 ;;
esac
`, c.device, c.fs, uuid, c.partuuid, c.partmap, c.abstraction, c.compat, c.hints)
	mustWrite(t, filepath.Join(T, "grub-probe"), probe, 0o755)
	// / and /boot are one filesystem, mounted at /: paths stay as they are.
	mustWrite(t, filepath.Join(T, "grub-mkrelpath"), "#!/bin/sh\nprintf '%s\\n' \"$1\"\n", 0o755)
	mustWrite(t, filepath.Join(T, "notexec"), "", 0o644)
	dev := filepath.Join(T, "dev")
	mustMkdir(t, filepath.Join(dev, "disk", "by-uuid"))
	mustMkdir(t, filepath.Join(T, "realdev"))
	mustMkdir(t, filepath.Join(dev, strings.TrimPrefix(filepath.Dir(c.device), "/dev")))
	mustWrite(t, filepath.Join(dev, strings.TrimPrefix(c.device, "/dev")), "", 0o644)
	if err := os.Symlink("../.."+strings.TrimPrefix(c.device, "/dev"), filepath.Join(dev, "disk", "by-uuid", uuid)); err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"null", "zero", "full", "random", "urandom"} {
		mustWrite(t, filepath.Join(dev, n), "", 0o644)
	}
	for n, to := range map[string]string{"fd": "/proc/self/fd", "stdin": "/proc/self/fd/0", "stdout": "/proc/self/fd/1", "stderr": "/proc/self/fd/2"} {
		if err := os.Symlink(to, filepath.Join(dev, n)); err != nil {
			t.Fatal(err)
		}
	}
	efi := ""
	if c.efi {
		// OsIndicationsSupported: 4 attribute bytes, then a UINT64 with
		// EFI_OS_INDICATIONS_BOOT_TO_FW_UI (bit 0) set.
		efi = `mkdir -p /sys/firmware/efi/efivars
printf '\006\000\000\000\001\000\000\000\000\000\000\000' >/sys/firmware/efi/efivars/OsIndicationsSupported-8be4df61-93ca-11d2-aa0d-00e098032b8c
`
	}
	script := `set -eu
T="$1"
mount --bind "$T/grub-probe" /usr/sbin/grub-probe
mount --bind "$T/grub-mkrelpath" /usr/bin/grub-mkrelpath
mount --bind "$T/root/boot" /boot
mount --bind "$T/root/etc/default" /etc/default
mount --bind "$T/grub.d" /etc/grub.d
mount -t tmpfs tmpfs /sys
` + efi + `
# 10_linux adds "(sysvinit)"/"(systemd)"/"(upstart)" entries for an init
# that is installed but is not /sbin/init, and Ubuntu's recovery menu:
# hide what this host has that a Debian 12 system booted by systemd does not.
for p in /lib/sysvinit/init /sbin/upstart /lib/systemd/systemd /lib/recovery-mode/recovery-menu; do
	if [ -x "$p" ] && { [ "$p" = /lib/recovery-mode/recovery-menu ] || [ "$(readlink -f /sbin/init)" != "$(readlink -f "$p")" ]; }; then
		mount --bind "$T/notexec" "$p"
	fi
done
mount --bind /dev "$T/realdev"
mount --bind "$T/dev" /dev
for n in null zero full random urandom; do mount --bind "$T/realdev/$n" "/dev/$n"; done
cd /
exec env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=en_US.UTF-8 /usr/sbin/grub-mkconfig -o /boot/grub/grub.cfg
`
	cmd := exec.Command("unshare", "--mount", "--propagation", "private", "sh", "-c", script, "sh", T)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	cmd.Stdout = &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("grub-mkconfig in a private mount namespace: %v\n%s", err, stderr.String())
	}
	t.Logf("grub-mkconfig:\n%s", stderr.String())
	b, err := os.ReadFile(filepath.Join(root, "boot/grub/grub.cfg"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func mustMkdir(t *testing.T, dir string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
}

func mustWrite(t *testing.T, path, data string, mode fs.FileMode) {
	t.Helper()
	if err := os.WriteFile(path, []byte(data), mode); err != nil {
		t.Fatal(err)
	}
}

// lineDiff shows the lines of want and got that differ, by position.
func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b strings.Builder
	for i := 0; i < len(w) || i < len(g); i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			fmt.Fprintf(&b, "line %d:\n  want %q\n  got  %q\n", i+1, wl, gl)
		}
	}
	return b.String()
}
