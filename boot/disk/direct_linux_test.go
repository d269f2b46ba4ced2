package disk

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// TestDirectDev: reads at any offset and length return what a plain read
// returns, direct or through the page cache, up to and past the end.
func TestDirectDev(t *testing.T) {
	// Larger than the pooled buffer, not a multiple of the alignment.
	data := make([]byte, pooledSize+3*directAlign+1000)
	for i := range data {
		data[i] = byte(i*7 + i>>8)
	}
	p := filepath.Join(t.TempDir(), "dev.img")
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name    string
		off, n  int64
		aligned bool // read into an aligned buffer (no copy)
	}{
		{"start", 0, 512, false},
		{"head of a probe", 0, 68 << 10, false},
		{"unaligned", 1025, 100, false},
		{"across a boundary", directAlign - 3, 10, false},
		{"the last bytes", int64(len(data)) - 6, 6, false},
		{"past the end", int64(len(data)) - 6, 20, false},
		{"beyond the end", int64(len(data)) + 10, 4, false},
		{"larger than the pool", 0, int64(len(data)), false},
		{"aligned, into the caller's buffer", directAlign, 2 * directAlign, true},
		{"aligned, past the end", int64(len(data)) &^ (directAlign - 1), directAlign, true},
		{"aligned, larger than the pool", 0, int64(len(data)) &^ (directAlign - 1), true},
	}
	for _, direct := range []bool{true, false} {
		d, err := openDirect(p)
		if err != nil {
			t.Fatal(err)
		}
		if !d.direct {
			t.Fatal("no direct reads on this filesystem")
		}
		if !direct { // as after a device refused a direct read
			d.Close()
			f, err := os.Open(p)
			if err != nil {
				t.Fatal(err)
			}
			d = &directDev{f: f}
		}
		for _, tc := range cases {
			got := make([]byte, tc.n)
			if tc.aligned {
				got = alignedBuf(int(tc.n))
			}
			n, err := d.ReadAt(got, tc.off)
			want := []byte{}
			if tc.off < int64(len(data)) {
				want = data[tc.off:min(tc.off+tc.n, int64(len(data)))]
			}
			if n != len(want) || !bytes.Equal(got[:n], want) {
				t.Errorf("direct=%v %s: read %d bytes, want %d (equal: %v)", direct, tc.name, n, len(want), bytes.Equal(got[:n], want))
			}
			if short := int64(len(want)) < tc.n; short != errors.Is(err, io.EOF) || !short && err != nil {
				t.Errorf("direct=%v %s: error %v", direct, tc.name, err)
			}
		}
		d.Close()
	}
}
