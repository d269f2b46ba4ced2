package probe

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCorpusIdentities rebuilds the volumes of the shared boot-config
// corpus whose identity is recorded in u-root's sidecar files (TYPE, UUID,
// LABEL, PARTLABEL at a volume root, copied to testdata/corpus; see its
// PROVENANCE.md) with the real tools, and checks that Probe and ReadPartitions report
// those identities, and agree with blkid. The sidecars write FAT serials
// in lower case; blkid (and so Probe) prints them in upper case, so UUIDs
// are compared without case. A sidecar UUID the filesystem cannot hold
// (a 36-character UUID on vfat) is skipped with a log line.
func TestCorpusIdentities(t *testing.T) {
	const corpus = "testdata/corpus"
	typeFiles, _ := filepath.Glob(filepath.Join(corpus, "*", "TYPE"))
	more, _ := filepath.Glob(filepath.Join(corpus, "*", "*", "TYPE"))
	typeFiles = append(typeFiles, more...)
	if len(typeFiles) == 0 {
		t.Fatal("no sidecars in testdata/corpus")
	}
	sidecar := func(dir, name string) string {
		b, _ := os.ReadFile(filepath.Join(dir, name))
		return strings.TrimSuffix(string(b), "\n")
	}
	for _, tf := range typeFiles {
		vol := filepath.Dir(tf)
		name, _ := filepath.Rel(corpus, vol)
		typ, uuid, lbl, plabel := sidecar(vol, "TYPE"), sidecar(vol, "UUID"), sidecar(vol, "LABEL"), sidecar(vol, "PARTLABEL")
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			img := filepath.Join(dir, "img")
			var args []string
			switch typ {
			case "vfat":
				if len(uuid) != 9 || uuid[4] != '-' {
					t.Skipf("sidecar UUID %q cannot be a FAT serial", uuid)
				}
				args = []string{"-i", strings.ReplaceAll(uuid, "-", "")}
				if lbl != "" {
					args = append(args, "-n", lbl)
				}
				mkfs(64<<20, "mkfs.vfat", args...)(t, dir, img)
			case "ext4":
				args = []string{"-q", "-F", "-U", uuid}
				if lbl != "" {
					args = append(args, "-L", lbl)
				}
				mkfs(16<<20, "mkfs.ext4", args...)(t, dir, img)
			case "xfs":
				args = []string{"-q", "-m", "uuid=" + uuid}
				if lbl != "" {
					args = append(args, "-L", lbl)
				}
				mkfs(300<<20, "mkfs.xfs", args...)(t, dir, img)
			default:
				t.Skipf("no builder for %s", typ)
			}
			id := compareBlkid(t, img)
			if id.Type != typ || !strings.EqualFold(id.UUID, uuid) || id.Label != lbl {
				t.Errorf("Probe: %s %s %q; sidecars: %s %s %q", id.Type, id.UUID, id.Label, typ, uuid, lbl)
			}
			if plabel == "" {
				return
			}
			disk := filepath.Join(dir, "disk")
			sparse(t, disk, 4<<20)
			run(t, dir, "sgdisk", "-n", "1:2048:0", "-c", "1:"+plabel, disk)
			tab := readPartitionsFile(t, disk)
			if len(tab.Partitions) != 1 || tab.Partitions[0].Name != plabel {
				t.Errorf("PARTLABEL: %+v, want %q", tab.Partitions, plabel)
			}
		})
	}
}
