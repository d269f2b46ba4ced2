package menu

import (
	"strconv"
	"strings"
)

// vt is the least of a terminal that tests need to see the screen a person
// sees: cursor addressing (CUP), clear screen and line, text. Attributes
// and modes are ignored.
type vt struct {
	w, h, x, y int
	cells      [][]rune
}

func newVT(w, h int) *vt {
	v := &vt{w: w, h: h}
	v.clear()
	return v
}

func (v *vt) clear() {
	v.cells = make([][]rune, v.h)
	for i := range v.cells {
		v.cells[i] = []rune(strings.Repeat(" ", v.w))
	}
}

func (v *vt) write(s string) {
	r := []rune(s)
	for i := 0; i < len(r); i++ {
		c := r[i]
		switch {
		case c == 0x1b && i+1 < len(r) && r[i+1] == '[':
			j := i + 2
			for j < len(r) && (r[j] >= '0' && r[j] <= '9' || r[j] == ';' || r[j] == '?') {
				j++
			}
			if j >= len(r) {
				return
			}
			params := strings.Split(string(r[i+2:j]), ";")
			num := func(k, def int) int {
				if k < len(params) {
					if n, err := strconv.Atoi(params[k]); err == nil {
						return n
					}
				}
				return def
			}
			switch r[j] {
			case 'H':
				v.y, v.x = num(0, 1)-1, num(1, 1)-1
			case 'J':
				v.clear()
			case 'K':
				for x := v.x; x < v.w && v.y < v.h; x++ {
					v.cells[v.y][x] = ' '
				}
			}
			i = j
		case c == 0x1b && i+1 < len(r):
			i += 2 // ESC ( B, ESC ) 0 and the like
		case c == '\r':
			v.x = 0
		case c == '\n':
			v.y++
		case c < 0x20:
		default:
			if v.y >= 0 && v.y < v.h && v.x >= 0 && v.x < v.w {
				v.cells[v.y][v.x] = c
			}
			v.x++
		}
	}
}

func (v *vt) String() string {
	var b strings.Builder
	for _, l := range v.cells {
		b.WriteString(strings.TrimRight(string(l), " "))
		b.WriteByte('\n')
	}
	return b.String()
}
