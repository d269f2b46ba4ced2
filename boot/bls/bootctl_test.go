package bls

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/leapboot/leapboot/boot"
	"github.com/leapboot/leapboot/boot/uki/ukitest"
)

// The differential tests below compare Parse with systemd's own reader,
// `bootctl list` (Debian package systemd-boot; systemd-analyze comes with
// its dependency systemd). They need root (for a private mount namespace
// with a bind mount, since bootctl insists on a mount point) and FAIL when
// the tools are missing, so that CI installs them.

func needTool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("%s not found: this differential test needs it; install the Debian packages systemd-boot and systemd (apt-get install --no-install-recommends systemd-boot)", name)
	}
	return p
}

// bootctlList runs `bootctl list` on esp and returns the entry IDs in
// order and the index of the one marked "(default)" (-1 if none).
func bootctlList(t *testing.T, esp string) (ids, titles []string, def int, out string) {
	t.Helper()
	needTool(t, "bootctl")
	needTool(t, "unshare")
	run := func(extra string) string {
		script := `mount --bind "$1" "$1" && SYSTEMD_RELAX_ESP_CHECKS=1 exec bootctl --esp-path="$1" --boot-path="$1" --no-variables --no-pager list ` + extra
		cmd := exec.Command("unshare", "-m", "sh", "-c", script, "sh", esp)
		var stdout, stderr strings.Builder
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil {
			t.Fatalf("bootctl list failed (it needs root for unshare -m): %v\n%s%s", err, stdout.String(), stderr.String())
		}
		return stdout.String()
	}
	for _, line := range strings.Split(run("--json=short"), "\n") {
		var e struct{ ID, ShowTitle string }
		if json.Unmarshal([]byte(line), &e) == nil && e.ID != "" {
			titles = append(titles, e.ShowTitle)
		}
	}
	out = run("")
	def = -1
	for _, line := range strings.Split(out, "\n") {
		k, v, ok := strings.Cut(strings.TrimSpace(line), ":")
		if !ok {
			continue
		}
		v = strings.TrimSpace(v)
		switch k {
		case "title":
			if strings.Contains(v, "(default)") {
				def = len(ids)
			}
		case "id":
			ids = append(ids, v)
		}
	}
	return ids, titles, def, out
}

// genEntry is one generated entry file.
type genEntry struct {
	file                               string
	title, version, sortKey, machineID string
}

// genEntries makes a deterministic set of tricky entries: versions with
// ~, ^, -, letters and leading zeros, sort keys, machine ids, boot counters
// (good, bad, without a done count), shared titles.
func genEntries() []genEntry {
	vers := []string{"6.1.0", "6.1.0-rc1", "6.1.0~rc1", "6.1", "6.10", "6.9", "6.1^git1", "6.1.a", "6.1a",
		"007", "7", "1.0-2.fc33", "1.0-10.fc33", "", "2023.10", "2023.9.1", "5_6", "5.6", "a", "A", "1-2-3"}
	keys := []string{"", "", "fedora", "arch", "arch", "debian", "Fedora", "01", "1", "z"}
	mids := []string{"", "aaaaaaaa11112222", "bbbbbbbb11112222", "0123456789abcdef0123456789abcdef"}
	ctrs := []string{"", "", "", "+3", "+0", "+2-1", "+0-3", "+1-0", "+10-2"}
	rng := rand.New(rand.NewSource(252))
	var out []genEntry
	seen := map[string]bool{}
	for len(out) < 48 {
		v := vers[rng.Intn(len(vers))]
		fv := strings.NewReplacer("~", "_", "^", "_").Replace(strings.ToLower(v))
		stem := []string{"fedora", "arch", "debian", "linux", "os"}[rng.Intn(5)]
		name := stem
		if fv != "" {
			name += "-" + fv
		}
		if rng.Intn(3) == 0 {
			name += "-" + fmt.Sprint(rng.Intn(30))
		}
		if seen[name] {
			continue
		}
		seen[name] = true
		e := genEntry{
			file:      name + ctrs[rng.Intn(len(ctrs))] + ".conf",
			title:     []string{"Linux", "Fedora", "Arch", "Debian GNU/Linux"}[rng.Intn(4)],
			version:   v,
			sortKey:   keys[rng.Intn(len(keys))],
			machineID: mids[rng.Intn(len(mids))],
		}
		out = append(out, e)
	}
	return out
}

// genUKIs are Type #2 entries that sort among the Type #1 ones: their
// os-release IDs are sort keys the Type #1 entries use too.
var genUKIs = []struct{ file, osrel string }{
	{"fedora-6.2.efi", "ID=fedora\nPRETTY_NAME=\"Fedora Linux 38\"\nVERSION_ID=38\nVERSION=\"6.2\"\n"},
	{"fedora-6.1+2-1.efi", "ID=fedora\nNAME=Fedora\nVERSION_ID=6.1\n"},
	{"arch-uki+0-3.efi", "ID=arch\nPRETTY_NAME=Arch\nVERSION_ID=2024.01\n"},
	{"img-1.efi", "ID=debian\nIMAGE_ID=debian\nIMAGE_VERSION=6.1^git1\nBUILD_ID=9\n"},
	{"noid.efi", "NAME=Nameless\nVERSION=1\n"},
	{"linux-6.1.0.efi", "ID=z\nPRETTY_NAME=Linux\nVERSION_ID=6.1.0\n"},
}

func writeESP(t *testing.T, entries []genEntry, loaderConf string) string {
	t.Helper()
	esp := t.TempDir()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.MkdirAll(filepath.Join(esp, "loader", "entries"), 0o755))
	must(os.WriteFile(filepath.Join(esp, "vmlinuz"), []byte("kernel"), 0o644))
	must(os.WriteFile(filepath.Join(esp, "initrd.img"), []byte("initrd"), 0o644))
	for _, e := range entries {
		var b strings.Builder
		fmt.Fprintf(&b, "title %s\n", e.title)
		if e.version != "" {
			fmt.Fprintf(&b, "version %s\n", e.version)
		}
		if e.sortKey != "" {
			fmt.Fprintf(&b, "sort-key %s\n", e.sortKey)
		}
		if e.machineID != "" {
			fmt.Fprintf(&b, "machine-id %s\n", e.machineID)
		}
		b.WriteString("linux /vmlinuz\ninitrd /initrd.img\noptions quiet\n")
		must(os.WriteFile(filepath.Join(esp, "loader", "entries", e.file), []byte(b.String()), 0o644))
	}
	must(os.MkdirAll(filepath.Join(esp, "EFI", "Linux"), 0o755))
	for _, u := range genUKIs {
		img := ukitest.UKI(u.osrel, "quiet uki="+u.file, []byte("kernel"), []byte("initrd"))
		must(os.WriteFile(filepath.Join(esp, "EFI", "Linux", u.file), img, 0o644))
	}
	if loaderConf != "" {
		must(os.WriteFile(filepath.Join(esp, "loader", "loader.conf"), []byte(loaderConf), 0o644))
	}
	return esp
}

func TestBootctlDifferential(t *testing.T) {
	entries := genEntries()
	confs := []string{
		"",
		"default fedora-*\ntimeout 5\n",
		"default ARCH*\n",
		"default os-6.1.conf\n",
		"default debian-6.1\n", // without .conf
		"default @saved\n",     // nothing saved: the first entry
		"default nomatch*\n",
		"default *-1?.conf\n",
		"default [ad]*\n",
		"default *.efi\n",
		"default noid.efi\n",
	}
	for ci, conf := range confs {
		t.Run(fmt.Sprint(ci), func(t *testing.T) {
			esp := writeESP(t, entries, conf)
			want, wantTitles, wantDef, out := bootctlList(t, esp)
			vol := &boot.Volume{Device: "esp", PartType: boot.PartTypeESP, FS: os.DirFS(esp)}
			m := Parse(context.Background(), []*boot.Volume{vol})
			var got, gotTitles []string
			for _, e := range m.Entries {
				got = append(got, e.ID)
				gotTitles = append(gotTitles, e.Title)
				if e.Err != nil {
					t.Errorf("entry %s: unexpected error %v", e.ID, e.Err)
				}
			}
			if len(want) < 30 {
				t.Fatalf("bootctl listed only %d entries:\n%s", len(want), out)
			}
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("order differs from bootctl (conf %q):\n%s", conf, sideBySide(got, want))
			}
			// bootctl shows the whole machine-id where systemd-boot shows
			// its first 8 characters; leapboot follows systemd-boot.
			for i, w := range wantTitles {
				for _, e := range entries {
					if len(e.machineID) > 8 {
						w = strings.ReplaceAll(w, "("+e.machineID+")", "("+e.machineID[:8]+")")
					}
				}
				wantTitles[i] = w
			}
			if strings.Join(gotTitles, "\n") != strings.Join(wantTitles, "\n") {
				t.Errorf("shown titles differ from bootctl's showTitle:\n%s", sideBySide(gotTitles, wantTitles))
			}
			if wantDef >= 0 && m.Default != wantDef {
				t.Errorf("default = %d (%s), bootctl says %d (%s)", m.Default, at2(got, m.Default), wantDef, at2(want, wantDef))
			}
			if wantDef < 0 && m.Default != 0 {
				t.Errorf("default = %d, want 0 (bootctl marks none, systemd-boot takes the first)", m.Default)
			}
		})
	}
}

func at2(s []string, i int) string {
	if i < 0 || i >= len(s) {
		return "none"
	}
	return s[i]
}

func sideBySide(got, want []string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%-3s %-40s %s\n", "#", "leapboot", "bootctl")
	for i := 0; i < max(len(got), len(want)); i++ {
		mark := " "
		if at2(got, i) != at2(want, i) {
			mark = "*"
		}
		fmt.Fprintf(&b, "%-3d %-40s %s %s\n", i, at2(got, i), at2(want, i), mark)
	}
	return b.String()
}

// TestSystemdAnalyzeCompareVersions checks CompareVersions against
// `systemd-analyze compare-versions` on tricky pairs.
func TestSystemdAnalyzeCompareVersions(t *testing.T) {
	sa := needTool(t, "systemd-analyze")
	vals := []string{"", "0", "1", "1.0", "01", "1~", "1~~", "1~rc1", "1-1", "1.1", "1^", "1^a", "1a", "1A",
		"1.a", "1_", "a", "~", "-", "^", ".", "1.2.3-4.fc33.x86_64", "1.2.3-10.fc33.x86_64",
		"6.1.0-rc1", "6.1.0~rc1", "6.1.0", "2023.10", "2023.9.1", "abc", "0."}
	type pair struct{ a, b string }
	var pairs []pair
	for i, a := range vals {
		for _, b := range vals[i:] {
			pairs = append(pairs, pair{a, b})
		}
	}
	outs := make([]string, len(pairs))
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	for i, p := range pairs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			out, _ := exec.Command(sa, "compare-versions", p.a, p.b).Output()
			outs[i] = strings.TrimSpace(string(out))
		}()
	}
	wg.Wait()
	for i, p := range pairs {
		out := outs[i]
		// The output is "A op B" with A or B possibly empty (shown as '').
		want := 0
		switch {
		case out == "":
			t.Fatalf("systemd-analyze printed nothing for %q %q", p.a, p.b)
		case strings.Contains(" "+out+" ", " < "):
			want = -1
		case strings.Contains(" "+out+" ", " > "):
			want = 1
		}
		if got := CompareVersions(p.a, p.b); got != want {
			t.Errorf("CompareVersions(%q, %q) = %d; systemd-analyze says %q", p.a, p.b, got, out)
		}
	}
}
