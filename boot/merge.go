package boot

import "strconv"

// Merge combines the menus of several sources, in the order given (the
// owner's source order). Entries keep their order; an entry whose ID is
// already taken gets a "#2", "#3", … suffix so IDs stay unique. The default
// is the first menu's that has one, and so is the timeout.
func Merge(menus ...Menu) Menu {
	out := Menu{Default: -1}
	next := map[string]int{} // per ID, the suffix to try next
	taken := map[string]bool{}
	for _, m := range menus {
		base := len(out.Entries)
		for _, e := range m.Entries {
			// An ID taken by a renamed entry ("x#2" after two "x") is
			// renamed too. Each ID's suffixes only go up, so a menu of
			// many taken IDs is not tried again from "#2" each time.
			id := e.ID
			for taken[id] {
				n := max(next[e.ID], 2)
				next[e.ID] = n + 1
				id = e.ID + "#" + strconv.Itoa(n)
			}
			e.ID = id
			taken[id] = true
			out.Entries = append(out.Entries, e)
		}
		if out.Default < 0 && m.Default >= 0 && m.Default < len(m.Entries) {
			out.Default = base + m.Default
		}
		if out.TimeoutStyle == "" {
			out.TimeoutStyle = m.TimeoutStyle
		}
		if !out.TimeoutSet && m.TimeoutSet {
			out.Timeout, out.TimeoutSet = m.Timeout, true
		}
		out.Diagnostics = append(out.Diagnostics, m.Diagnostics...)
	}
	if out.Default < 0 && len(out.Entries) > 0 {
		out.Default = 0
	}
	return out
}
