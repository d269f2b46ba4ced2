package boot

import (
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"
)

func TestReadFile(t *testing.T) {
	fsys := fstest.MapFS{"a/b.conf": {Data: []byte("12345")}}
	for _, tc := range []struct {
		name string
		max  int64
		want string
		err  string
	}{
		{"/a/b.conf", 5, "12345", ""},
		{"a//b.conf", 10, "12345", ""},
		{"/../../a/b.conf", 10, "12345", ""},
		{"/a/b.conf", 4, "", "larger than 4 bytes"},
		{"/a/none", 4, "", "file does not exist"},
	} {
		b, err := ReadFile(fsys, tc.name, tc.max)
		if string(b) != tc.want || (tc.err == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.err)) {
			t.Errorf("ReadFile(%q, %d) = %q, %v", tc.name, tc.max, b, err)
		}
	}
	if FSPath("/") != "." || FSPath("") != "." {
		t.Error("the root is not .")
	}
	var _ fs.FS = fsys
}
