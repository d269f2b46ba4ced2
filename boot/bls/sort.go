package bls

import (
	"sort"
	"strings"
)

// sortItems orders entries as systemd-boot 252 does (config_entry_compare):
//  1. entries whose boot counter has no tries left go last;
//  2. entries with a sort-key come before those without;
//  3. between two with a sort-key: sort-key ascending, then machine-id
//     ascending, then version descending (CompareVersions);
//  4. then the ID descending (CompareVersions), so newer file names first;
//  5. with boot counters on both: more tries left first, then fewer done.
func sortItems(items []item) {
	sort.SliceStable(items, func(i, j int) bool { return compareItems(&items[i], &items[j]) < 0 })
}

func compareItems(a, b *item) int {
	aBad := a.count.Set && a.count.Left == 0
	bBad := b.count.Set && b.count.Left == 0
	if r := cmpBool(aBad, bBad); r != 0 {
		return r
	}
	if r := cmpBool(!a.hasSortKey, !b.hasSortKey); r != 0 {
		return r
	}
	if a.hasSortKey && b.hasSortKey {
		if r := strings.Compare(a.sortKey, b.sortKey); r != 0 {
			return r
		}
		if r := strings.Compare(a.machineID, b.machineID); r != 0 {
			return r
		}
		if r := -CompareVersions(a.version, b.version); r != 0 {
			return r
		}
	}
	if r := -CompareVersions(a.id, b.id); r != 0 {
		return r
	}
	if !a.count.Set || !b.count.Set {
		return 0
	}
	if r := -cmpInt(a.count.Left, b.count.Left); r != 0 {
		return r
	}
	return cmpInt(a.count.Done, b.count.Done)
}

// showTitles makes the titles systemd-boot shows: the title (else the ID),
// and where two are the same, the version, then the first 8 characters of
// the machine-id, then the ID appended in parentheses.
func showTitles(items []item) []string {
	t := make([]string, len(items))
	unique := make([]bool, len(items))
	for i, it := range items {
		t[i] = it.title
		if t[i] == "" {
			t[i] = it.e.ID
		}
		unique[i] = true
	}
	// check marks the titles shown more than once; a map, not a compare
	// of every pair, so thousands of entries cost no more than their count.
	check := func() bool {
		count := make(map[string]int, len(t))
		for _, s := range t {
			count[s]++
		}
		ok := true
		for i, s := range t {
			if count[s] > 1 {
				ok, unique[i] = false, false
			}
		}
		return ok
	}
	if check() {
		return t
	}
	for i, it := range items {
		if unique[i] {
			continue
		}
		unique[i] = true
		if it.version != "" {
			t[i] += " (" + it.version + ")"
		}
	}
	if check() {
		return t
	}
	for i, it := range items {
		if unique[i] {
			continue
		}
		unique[i] = true
		if it.machineID != "" {
			m := it.machineID
			if len(m) > 8 {
				m = m[:8]
			}
			t[i] += " (" + m + ")"
		}
	}
	if check() {
		return t
	}
	for i, it := range items {
		if !unique[i] {
			t[i] += " (" + it.e.ID + ")"
		}
	}
	return t
}
