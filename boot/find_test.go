package boot

import (
	"strings"
	"testing"
)

func TestFind(t *testing.T) {
	m := Menu{Entries: []Entry{
		{ID: "gnulinux-simple-abc", Title: "Debian GNU/Linux", Menu: []string{"Debian GNU/Linux"}, Kernel: File{Path: "/boot/vmlinuz-6.1.0-13-amd64"}},
		{ID: "gnulinux-6.1.0-13-amd64-advanced-abc", Title: "Debian GNU/Linux, with Linux 6.1.0-13-amd64",
			Menu: []string{"Advanced options for Debian GNU/Linux", "Debian GNU/Linux, with Linux 6.1.0-13-amd64"}, Kernel: File{Path: "/boot/vmlinuz-6.1.0-13-amd64"}},
		{ID: "gnulinux-6.1.0-12-amd64-advanced-abc", Title: "Debian GNU/Linux, with Linux 6.1.0-12-amd64",
			Menu: []string{"Advanced options for Debian GNU/Linux", "Debian GNU/Linux, with Linux 6.1.0-12-amd64"}, Kernel: File{Path: "/boot/vmlinuz-6.1.0-12-amd64"}},
		{ID: "fedora.conf", Title: "Fedora Linux 39", Version: "6.5.6-300.fc39.x86_64", Kernel: File{Path: "/vmlinuz-6.5.6-300.fc39.x86_64"}},
	}}
	for _, tc := range []struct {
		spec string
		want int
		err  string
	}{
		{"fedora.conf", 3, ""},
		{"2", 1, ""},
		{"0", -1, "no entry 0"},
		{"Debian GNU/Linux", 0, ""},
		{"Advanced options for Debian GNU/Linux>Debian GNU/Linux, with Linux 6.1.0-12-amd64", 2, ""},
		{"*6.1.0-12*", 2, ""},
		{"Fedora*", 3, ""},
		{"Debian*", -1, "more than one"},
		{"6.1.0-12-amd64", 2, ""},
		{"6.1.0-13-amd64", 0, ""},
		{"6.5.6-300.fc39.x86_64", 3, ""},
		{"[", -1, "bad pattern"},
		{"nothing", -1, "no entry matches"},
		{"", -1, "empty"},
	} {
		got, err := m.Find(tc.spec)
		if got != tc.want || (tc.err == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.err)) {
			t.Errorf("Find(%q) = %d, %v; want %d, %q", tc.spec, got, err, tc.want, tc.err)
		}
	}
}
