package grub

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"strconv"
	"strings"

	"github.com/leapboot/leapboot/boot"
)

type builtin func(i *interp, argv []string) (ctl, error)

// errFalse is a command's "false" status: no diagnostic.
var errFalse = errors.New("false")

// ErrUnsupported is wrapped by Entry.Err for entries that boot something
// leapboot cannot kexec (chainloader, multiboot, non-Linux kernels).
var ErrUnsupported = errors.New("unsupported")

// ErrNoKernel is wrapped by Entry.Err for entries that load no kernel.
var ErrNoKernel = errors.New("no kernel loaded")

// EnvWrite is a save_env or savedefault the config would perform. Nothing
// is written while parsing; a later stage may, when the owner allows.
type EnvWrite struct {
	Command string // "save_env" or "savedefault"
	File    string // the -f file as written, "" for the default grubenv
	// Vars are the variables saved, in order; one that was not set is
	// removed from the block, as GRUB's save_env does.
	Vars   []boot.EnvVar
	Origin boot.Origin
	// Volume and Path are the file the block is in, resolved as GRUB
	// does when save_env runs ($prefix/grubenv by default); Err says why
	// it could not be.
	Volume *boot.Volume
	Path   string
	Err    error
}

var builtins map[string]builtin

func init() {
	builtins = map[string]builtin{
		"set":        cmdSet,
		"unset":      cmdUnset,
		"export":     cmdExport,
		"true":       func(*interp, []string) (ctl, error) { return ctlNone, nil },
		"false":      func(*interp, []string) (ctl, error) { return ctlNone, errFalse },
		"test":       cmdTest,
		"[":          cmdTest,
		"return":     cmdReturn,
		"break":      cmdBreak,
		"continue":   cmdBreak,
		"shift":      cmdShift,
		"setparams":  cmdSetparams,
		"exit":       cmdExit,
		"source":     cmdSource,
		".":          cmdSource,
		"configfile": cmdConfigfile,
		"normal":     cmdConfigfile,
		"search":     cmdSearch,
		"search.fs_uuid": func(i *interp, a []string) (ctl, error) {
			return searchCtl(i.searchSimple(a, "fs-uuid"))
		},
		"search.fs_label": func(i *interp, a []string) (ctl, error) {
			return searchCtl(i.searchSimple(a, "label"))
		},
		"search.file": func(i *interp, a []string) (ctl, error) {
			return searchCtl(i.searchSimple(a, "file"))
		},
		"load_env":    cmdLoadEnv,
		"save_env":    cmdSaveEnv,
		"linux":       cmdLinux,
		"linux16":     cmdLinux,
		"linuxefi":    cmdLinux,
		"initrd":      cmdInitrd,
		"initrd16":    cmdInitrd,
		"initrdefi":   cmdInitrd,
		"devicetree":  cmdDevicetree,
		"blscfg":      cmdBlscfg,
		"bls_import":  cmdBlscfg,
		"chainloader": unsupported("chainloader"),
		"multiboot":   unsupported("multiboot"),
		"multiboot2":  unsupported("multiboot2"),
		"module":      moduleCmd,
		"module2":     moduleCmd,
		"knetbsd":     unsupported("knetbsd"),
		"kfreebsd":    unsupported("kfreebsd"),
		"kopenbsd":    unsupported("kopenbsd"),
		"appleloader": unsupported("appleloader"),
		"fwsetup":     unsupported("fwsetup"),
		"reboot":      unsupported("reboot"),
		"halt":        unsupported("halt"),
		"loopback":    cmdLoopback,
		"regexp":      cmdRegexp,
		"probe":       cmdProbe,
		"eval":        cmdEval,
		"increment":   cmdIncDec(1),
		"decrement":   cmdIncDec(-1),
		"keystatus":   func(*interp, []string) (ctl, error) { return ctlNone, errFalse },
		"cpuid":       func(*interp, []string) (ctl, error) { return ctlNone, nil },

		"btrfs-mount-subvol": cmdBtrfsMountSubvol,
	}
}

// ignored commands are accepted without effect: display, terminal,
// module and informational commands.
var ignored = map[string]bool{
	"insmod": true, "rmmod": true, "load_video": true, "gfxmode": true, "loadfont": true,
	"background_image": true, "background_color": true, "echo": true, "play": true,
	"sleep": true, "clear": true, "serial": true, "terminfo": true, "font": true,
	"keymap": true, "set_background_color": true, "boot": true, "password": true,
	"password_pbkdf2": true, "hwmatch": true, "ls": true, "lsmod": true, "pager": true,
	"gettext": true, "list_env": true, "recordfail": true, "videoinfo": true,
	"vbeinfo": true, "lsefi": true, "nativedisk": true, "cryptomount": true,
	"verify_detached": true, "trust": true, "distrust": true, "read": true,
	"help": true, "date": true, "lspci": true, "tpm2_key_protector_init": true,
	"menu_color_normal": true, "menu_color_highlight": true, "gfxpayload": true,
	"all_video": true, "efi_gop": true, "efi_uga": true, "vbe": true, "vga": true,
	"true_colour": true, "outb": true, "inb": true, "setpci": true, "usb": true,
	"dhcp": true, "net_bootp": true, "net_dhcp": true, "lsfonts": true,
	"smbios": true, "grub_platform": true, "kfreebsd_module": true, "kfreebsd_module_elf": true, "kfreebsd_loadenv": true, "tpm": true, "rescue": true, "gptsync": true, "badram": true,
	"cutmem": true, "hello": true, "hashsum": true, "sha256sum": true, "md5sum": true,
}

func unsupported(name string) builtin {
	return func(i *interp, argv []string) (ctl, error) {
		if i.boot != nil {
			what := name
			if len(argv) > 1 {
				what += " " + argv[1]
			}
			i.boot.loaded = true
			i.boot.unsupported = what
		}
		return ctlNone, nil
	}
}

func moduleCmd(i *interp, argv []string) (ctl, error) {
	if i.boot != nil && i.boot.unsupported == "" {
		return ctlNone, errors.New("you need to load the multiboot kernel first")
	}
	return ctlNone, nil
}

func cmdSet(i *interp, argv []string) (ctl, error) {
	if len(argv) == 1 {
		return ctlNone, nil
	}
	// GRUB's set uses only its first argument: "set a=x y" sets a to x.
	name, val, ok := strings.Cut(argv[1], "=")
	if !ok {
		return ctlNone, fmt.Errorf("%q is not an assignment", argv[1])
	}
	if name == "" {
		return ctlNone, errors.New("empty variable name")
	}
	i.set(name, val)
	return ctlNone, nil
}

func cmdUnset(i *interp, argv []string) (ctl, error) {
	for _, a := range argv[1:] {
		i.unset(a)
	}
	return ctlNone, nil
}

func cmdExport(i *interp, argv []string) (ctl, error) {
	for _, a := range argv[1:] {
		i.export(a)
	}
	return ctlNone, nil
}

func cmdReturn(i *interp, argv []string) (ctl, error) {
	if len(argv) > 1 {
		n, _ := strconv.Atoi(argv[1])
		i.status = n
		if n != 0 {
			return ctlReturn, errFalse
		}
	}
	return ctlReturn, nil
}

func cmdBreak(i *interp, argv []string) (ctl, error) {
	n := 1
	if len(argv) > 1 {
		v, err := strconv.Atoi(argv[1])
		if err != nil || v < 1 {
			return ctlNone, fmt.Errorf("bad loop count %q", argv[1])
		}
		n = v
	}
	i.breakN = n
	if argv[0] == "continue" {
		return ctlContinue, nil
	}
	return ctlBreak, nil
}

func cmdShift(i *interp, argv []string) (ctl, error) {
	n := 1
	if len(argv) > 1 {
		v, err := strconv.Atoi(argv[1])
		if err != nil || v < 0 {
			return ctlNone, fmt.Errorf("bad shift count %q", argv[1])
		}
		n = v
	}
	if len(i.args) == 0 || n > len(i.args)-1 {
		return ctlNone, errFalse
	}
	i.args = append([]string{i.args[0]}, i.args[1+n:]...)
	return ctlNone, nil
}

func cmdSetparams(i *interp, argv []string) (ctl, error) {
	name := ""
	if len(i.args) > 0 {
		name = i.args[0]
	}
	i.args = append([]string{name}, argv[1:]...)
	return ctlNone, nil
}

func cmdIncDec(d int) builtin {
	return func(i *interp, argv []string) (ctl, error) {
		for _, a := range argv[1:] {
			n, err := strconv.Atoi(i.get(a))
			if err != nil {
				return ctlNone, fmt.Errorf("%s is not a number", a)
			}
			i.set(a, strconv.Itoa(n+d))
		}
		return ctlNone, nil
	}
}

// readScript reads and runs a file, checking the recursion limit.
func (i *interp) sourceFile(name string, newCtx bool) (ctl, error) {
	if i.depth >= i.o.limits.Depth {
		return ctlNone, fmt.Errorf("%s: recursion deeper than %d levels", name, i.o.limits.Depth)
	}
	v, p, b, err := i.readFile(name)
	if err != nil {
		return ctlNone, err
	}
	i.depth++
	defer func() { i.depth-- }()
	if !newCtx {
		defer i.configVars(name)()
		c := i.runFile(v, p, b)
		if c == ctlExit {
			c = ctlNone
		}
		return c, nil
	}
	// configfile: a new context and a new menu; if the file makes a menu
	// it is the one GRUB shows, and the outer script does not go on.
	saved := i.cur
	if !i.charge(len(saved.vars)) { // copying the exported variables
		return ctlAbort, nil
	}
	i.cur = saved.child()
	savedArgs := i.args
	i.args = nil
	restore := i.configVars(name)
	c := i.runFile(v, p, b)
	restore()
	i.args = savedArgs
	inner := i.cur
	i.cur = saved
	if c == ctlAbort {
		// A nested configfile already replaced the menu; otherwise keep
		// what was built before the budget ran out.
		if i.replaced == nil && len(inner.menu.items) > 0 {
			i.replaced = &menuResult{ctx: inner, file: srcRef{vol: v, path: p}}
		}
		return ctlAbort, nil
	}
	if i.replaced != nil {
		return ctlAbort, nil
	}
	if len(inner.menu.items) > 0 {
		i.replaced = &menuResult{ctx: inner, file: srcRef{vol: v, path: p}}
		return ctlAbort, nil
	}
	return ctlNone, nil
}

// configVars sets $config_file and $config_directory for a config file
// being read, as GRUB's normal mode does while it reads one (configfile,
// source and grub.cfg itself), and returns the function that puts the old
// values back, or unsets them, when the file has been read. Entry bodies
// run later and so see the values from before.
func (i *interp) configVars(name string) func() {
	cf := name
	if !strings.HasPrefix(name, "(") {
		cf = "(" + i.get("root") + ")" + name
	}
	type saved struct {
		v  variable
		ok bool
	}
	olds := map[string]saved{}
	for _, k := range []string{"config_file", "config_directory"} {
		if v, ok := i.cur.vars[k]; ok {
			olds[k] = saved{*v, true}
		} else {
			olds[k] = saved{}
		}
	}
	dir := cf
	if k := strings.LastIndexByte(dir, '/'); k >= 0 {
		dir = dir[:k]
	}
	i.cur.vars["config_file"] = &variable{val: cf, exported: true}
	i.cur.vars["config_directory"] = &variable{val: dir, exported: true}
	cur := i.cur
	return func() {
		for k, o := range olds {
			if o.ok {
				v := o.v
				cur.vars[k] = &v
			} else {
				delete(cur.vars, k)
			}
		}
	}
}

func cmdSource(i *interp, argv []string) (ctl, error) {
	if len(argv) < 2 {
		return ctlNone, errors.New("filename expected")
	}
	return i.sourceFile(argv[1], false)
}

func cmdConfigfile(i *interp, argv []string) (ctl, error) {
	if len(argv) < 2 {
		return ctlNone, errors.New("filename expected")
	}
	if b := i.boot; b != nil {
		// Inside an entry: choosing it shows another menu (openSUSE's
		// snapshot entries). It is read now, with the entry's variables,
		// and the entry becomes a submenu of that menu's entries.
		b.loaded = true
		b.configfile = argv[1]
		i.boot = nil
		c, err := i.sourceFile(argv[1], true)
		i.boot = b
		if err != nil {
			b.configErr = err
		}
		return c, err
	}
	return i.sourceFile(argv[1], true)
}

var searchOptions = []optSpec{
	{long: "file", short: 'f'},
	{long: "label", short: 'l'},
	{long: "fs-uuid", short: 'u'},
	{long: "part-label"},
	{long: "part-uuid"},
	{long: "disk-uuid"},
	{long: "set", short: 's', arg: true, optional: true},
	{long: "no-floppy", short: 'n'},
	{long: "efidisk-only"},
	{long: "hint", short: 'h', arg: true},
	{long: "hint-bios", arg: true},
	{long: "hint-efi", arg: true},
	{long: "hint-baremetal", arg: true},
	{long: "hint-ieee1275", arg: true},
	{long: "hint-arc", arg: true},
	{long: "hint-*", arg: true}, // future platforms: accepted, unused
}

func cmdSearch(i *interp, argv []string) (ctl, error) {
	opts, pos, err := parseOptions(argv, searchOptions)
	if err != nil {
		return ctlNone, err
	}
	if len(pos) == 0 {
		return ctlNone, errors.New("one argument expected")
	}
	kind := "fs-uuid"
	switch {
	case opts["file"] != nil:
		kind = "file"
	case opts["label"] != nil:
		kind = "label"
	case opts["fs-uuid"] != nil:
		kind = "fs-uuid"
	case opts["part-uuid"] != nil:
		kind = "part-uuid"
	case opts["part-label"] != nil:
		kind = "part-label"
	case opts["disk-uuid"] != nil:
		return ctlNone, errors.New("--disk-uuid is not supported")
	}
	varName := ""
	if s, ok := opts["set"]; ok {
		varName = s[len(s)-1]
		if varName == "" {
			varName = "root"
		}
	}
	// GRUB tries --hint, then this platform's (--hint-efi on EFI,
	// --hint-bios on a PC), then --hint-baremetal; other platforms' hints
	// and words after the name are not used.
	hints := append([]string{}, opts["hint"]...)
	if i.o.platform == "efi" {
		hints = append(hints, opts["hint-efi"]...)
	} else {
		hints = append(hints, opts["hint-bios"]...)
	}
	hints = append(hints, opts["hint-baremetal"]...)
	return searchCtl(i.search(kind, pos[0], varName, hints))
}

// searchCtl stops the script when a search ran out of steps.
func searchCtl(err error) (ctl, error) {
	if errors.Is(err, errBudget) {
		return ctlAbort, nil
	}
	return ctlNone, err
}

// searchCost is the steps one volume costs a search: looking for a file
// reads the volume (a loop of searches over many volumes would otherwise
// make millions of lookups within the budget); the other kinds compare
// strings.
func searchCost(kind string) int {
	if kind == "file" {
		return 16
	}
	return 1
}

// searchSimple is search.fs_uuid / search.fs_label / search.file:
// KEY [VAR [HINT…]], VAR defaulting to root.
func (i *interp) searchSimple(argv []string, kind string) error {
	if len(argv) < 2 {
		return errors.New("one argument expected")
	}
	varName := "root"
	if len(argv) > 2 {
		varName = argv[2]
	}
	var hints []string
	if len(argv) > 3 {
		hints = argv[3:]
	}
	return i.search(kind, argv[1], varName, hints)
}

func (i *interp) matches(v *boot.Volume, kind, key string) bool {
	if v == nil {
		return false
	}
	switch kind {
	case "fs-uuid":
		return v.UUID != "" && strings.EqualFold(v.UUID, key)
	case "label":
		return v.Label != "" && v.Label == key
	case "part-uuid":
		return v.PartUUID != "" && strings.EqualFold(v.PartUUID, key)
	case "part-label":
		return v.PartLabel != "" && v.PartLabel == key
	case "file":
		if v.FS == nil {
			return false
		}
		_, err := fs.Stat(v.FS, fsName(i.btrfsPath(v, cleanPath(key))))
		return err == nil
	}
	return false
}

// search finds the first volume that matches, trying hinted devices
// first, and sets varName to its GRUB device name.
func (i *interp) search(kind, key, varName string, hints []string) error {
	var found *boot.Volume
	for _, h := range hints {
		if !i.charge(searchCost(kind)) {
			return errBudget
		}
		if v := i.devs.lookup(h); v != nil && i.matches(v, kind, key) {
			found = v
			break
		}
	}
	if found == nil {
		for _, v := range i.vols {
			if !i.charge(searchCost(kind)) {
				return errBudget
			}
			if i.matches(v, kind, key) {
				found = v
				break
			}
		}
	}
	if found == nil {
		return fmt.Errorf("no such device: %s", key)
	}
	if varName != "" {
		i.set(varName, i.devs.name(found))
	}
	return nil
}

var probeOptions = []optSpec{
	{long: "set", short: 's', arg: true},
	{long: "driver", short: 'd'},
	{long: "partmap", short: 'p'},
	{long: "fs", short: 'f'},
	{long: "fs-uuid", short: 'u'},
	{long: "label", short: 'l'},
	{long: "part-uuid"},
}

func cmdProbe(i *interp, argv []string) (ctl, error) {
	opts, pos, err := parseOptions(argv, probeOptions)
	if err != nil {
		return ctlNone, err
	}
	if len(pos) == 0 {
		return ctlNone, errors.New("device name required")
	}
	v := i.devs.lookup(pos[0])
	if v == nil {
		return ctlNone, fmt.Errorf("no such device: %s", pos[0])
	}
	var val string
	switch {
	case opts["fs-uuid"] != nil:
		val = v.UUID
	case opts["label"] != nil:
		val = v.Label
	case opts["fs"] != nil:
		val = v.FSType
	case opts["part-uuid"] != nil:
		val = v.PartUUID
	case opts["partmap"] != nil:
		val = "gpt"
		if strings.HasPrefix(v.PartType, "0x") {
			val = "msdos"
		}
	default:
		return ctlNone, nil
	}
	if s := opts["set"]; len(s) > 0 {
		i.set(s[len(s)-1], val)
	}
	return ctlNone, nil
}

func cmdLoopback(i *interp, argv []string) (ctl, error) {
	return ctlNone, errors.New("loopback devices are not supported")
}

func cmdEval(i *interp, argv []string) (ctl, error) {
	src := strings.Join(argv[1:], " ")
	nodes, errs := parseAll(src, i.o.limits.Nesting, i.o.limits.Statements)
	if len(errs) > 0 {
		return ctlNone, errors.New(errs[0].msg)
	}
	if i.depth >= i.o.limits.Depth {
		return ctlNone, fmt.Errorf("recursion deeper than %d levels", i.o.limits.Depth)
	}
	i.depth++
	defer func() { i.depth-- }()
	return i.execList(nodes), nil
}

var regexpOptions = []optSpec{{long: "set", short: 's', arg: true}}

func cmdRegexp(i *interp, argv []string) (ctl, error) {
	opts, pos, err := parseOptions(argv, regexpOptions)
	if err != nil {
		return ctlNone, err
	}
	if len(pos) != 2 {
		return ctlNone, errors.New("two arguments expected")
	}
	if len(pos[0]) > 4096 {
		return ctlNone, errors.New("regular expression too long")
	}
	re, err := regexp.Compile(pos[0])
	if err != nil {
		return ctlNone, err
	}
	m := re.FindStringSubmatch(pos[1])
	if m == nil {
		return ctlNone, errFalse
	}
	for _, s := range opts["set"] {
		idx, name := 1, s
		if n, v, ok := strings.Cut(s, ":"); ok {
			k, err := strconv.Atoi(n)
			if err != nil {
				return ctlNone, fmt.Errorf("bad --set %q", s)
			}
			idx, name = k, v
		}
		if idx >= 0 && idx < len(m) {
			i.set(name, m[idx])
		}
	}
	return ctlNone, nil
}

var envOptions = []optSpec{
	{long: "file", short: 'f', arg: true},
	{long: "skip-sig", short: 's'},
}

func (i *interp) envFile(opts map[string][]string) string {
	if f := opts["file"]; len(f) > 0 {
		return f[len(f)-1]
	}
	return i.get("prefix") + "/grubenv"
}

func cmdLoadEnv(i *interp, argv []string) (ctl, error) {
	opts, pos, err := parseOptions(argv, envOptions)
	if err != nil {
		return ctlNone, err
	}
	name := i.envFile(opts)
	_, _, b, err := i.readFile(name)
	if err != nil {
		return ctlNone, err
	}
	vars, err := ReadEnv(b)
	if err != nil {
		return ctlNone, fmt.Errorf("%s: %w", name, err)
	}
	want := map[string]bool{}
	for _, p := range pos {
		want[p] = true
	}
	for _, k := range sortedKeys(vars) {
		if len(want) > 0 && !want[k] {
			continue
		}
		i.set(k, vars[k])
	}
	return ctlNone, nil
}

func cmdSaveEnv(i *interp, argv []string) (ctl, error) {
	opts, pos, err := parseOptions(argv, envOptions)
	if err != nil {
		return ctlNone, err
	}
	w := EnvWrite{Command: "save_env", Origin: i.origin(i.line)}
	if f := opts["file"]; len(f) > 0 {
		w.File = f[len(f)-1]
	}
	w.Volume, w.Path, w.Err = i.resolve(i.envFile(opts))
	for _, p := range pos {
		if v, ok := i.cur.vars[p]; ok {
			w.Vars = append(w.Vars, boot.EnvVar{Name: p, Value: v.val})
		} else {
			w.Vars = append(w.Vars, boot.EnvVar{Name: p, Unset: true})
		}
	}
	if len(i.saves) < i.o.limits.Entries {
		i.saves = append(i.saves, w)
	} else {
		i.diag(i.line, "save_env: more than %d grubenv writes at once; this one is not kept", i.o.limits.Entries)
	}
	return ctlNone, nil
}

// bootState collects what an entry's body loads.
type bootState struct {
	loaded      bool
	linux       bool
	kernelArg   string
	kernel      boot.File
	cmdline     string
	kernelErr   error
	initrds     []boot.File
	initrdErr   error
	dtb         *boot.File
	dtbErr      error
	unsupported string
	configfile  string // the entry ran configfile of this file
	configErr   error
}

// loaderCmdline builds the command line as GRUB's Linux loader does:
// BOOT_IMAGE=<path as written>, then the arguments separated by spaces;
// an argument with a space is double-quoted, and \ ' " are escaped
// (except a \xHH sequence), as grub_create_loader_cmdline does.
func loaderCmdline(argv []string) string {
	var b strings.Builder
	b.WriteString("BOOT_IMAGE=")
	for k, a := range argv {
		if k > 0 {
			b.WriteByte(' ')
		}
		space := strings.ContainsRune(a, ' ')
		if space {
			b.WriteByte('"')
		}
		for j := 0; j < len(a); j++ {
			c := a[j]
			if c == '\\' && j+3 < len(a) && a[j+1] == 'x' && isHex(a[j+2]) && isHex(a[j+3]) {
				// \xHH passes through unescaped.
				b.WriteString(a[j : j+4])
				j += 3
				continue
			}
			if c == '\\' || c == '\'' || c == '"' {
				b.WriteByte('\\')
			}
			b.WriteByte(c)
		}
		if space {
			b.WriteByte('"')
		}
	}
	return b.String()
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

var linuxFlags = map[string]bool{"--force": true}

func cmdLinux(i *interp, argv []string) (ctl, error) {
	args := argv[1:]
	for len(args) > 0 && linuxFlags[args[0]] {
		args = args[1:]
	}
	if len(args) == 0 {
		return ctlNone, errors.New("filename expected")
	}
	if i.boot == nil {
		return ctlNone, nil
	}
	b := i.boot
	*b = bootState{loaded: true, linux: true, kernelArg: args[0]}
	b.cmdline = loaderCmdline(args)
	v, p, fi, err := i.stat(args[0])
	if v != nil {
		b.kernel = boot.File{Volume: v, Path: p}
	} else {
		b.kernel = boot.File{Path: args[0]}
	}
	if err != nil {
		b.kernelErr = err
		return ctlNone, nil
	}
	if fi.IsDir() {
		b.kernelErr = fmt.Errorf("%s: is a directory", args[0])
		return ctlNone, nil
	}
	if why := notLinux(v, p, fi); why != "" {
		b.unsupported = args[0] + " (" + why + ")"
	}
	return ctlNone, nil
}

// notLinux says why a file is not a Linux kernel leapboot can kexec, or
// "" if it may be one. Empty files (test placeholders) pass.
func notLinux(v *boot.Volume, p string, fi fs.FileInfo) string {
	base := strings.ToLower(path.Base(p))
	if strings.Contains(base, "memtest") {
		return "memtest is not a Linux kernel"
	}
	if fi.Size() == 0 {
		return ""
	}
	f, err := v.FS.Open(fsName(p))
	if err != nil {
		return ""
	}
	defer f.Close()
	hdr := make([]byte, 0x240)
	n, _ := readFull(f, hdr)
	hdr = hdr[:n]
	switch {
	case len(hdr) >= 0x206 && string(hdr[0x202:0x206]) == "HdrS": // x86 bzImage
	case len(hdr) >= 2 && string(hdr[:2]) == "MZ": // EFI stub / zboot
	case len(hdr) >= 0x3c && string(hdr[0x38:0x3c]) == "ARM\x64": // arm64 Image
	case len(hdr) >= 0x3c && string(hdr[0x38:0x3c]) == "RSC\x05": // riscv Image
	case len(hdr) >= 4 && string(hdr[:4]) == "\x7fELF": // vmlinux
	case len(hdr) >= 2 && hdr[0] == 0x1f && hdr[1] == 0x8b: // gzip vmlinux
	default:
		return "not a Linux kernel image"
	}
	return ""
}

func readFull(f fs.File, b []byte) (int, error) {
	n := 0
	for n < len(b) {
		k, err := f.Read(b[n:])
		n += k
		if err != nil {
			return n, err
		}
		if k == 0 {
			break
		}
	}
	return n, nil
}

func cmdInitrd(i *interp, argv []string) (ctl, error) {
	if len(argv) < 2 {
		return ctlNone, errors.New("filename expected")
	}
	if i.boot == nil {
		return ctlNone, nil
	}
	b := i.boot
	if !b.linux {
		return ctlNone, errors.New("you need to load the kernel first")
	}
	b.initrds = nil
	b.initrdErr = nil
	for _, a := range argv[1:] {
		if strings.HasPrefix(a, "--") {
			continue // --newc:… names
		}
		v, p, fi, err := i.stat(a)
		f := boot.File{Volume: v, Path: p}
		if v == nil {
			f.Path = a
		}
		b.initrds = append(b.initrds, f)
		if err == nil && fi.IsDir() {
			err = fmt.Errorf("%s: is a directory", a)
		}
		if err != nil && b.initrdErr == nil {
			b.initrdErr = err
		}
	}
	return ctlNone, nil
}

func cmdDevicetree(i *interp, argv []string) (ctl, error) {
	if len(argv) < 2 {
		return ctlNone, errors.New("filename expected")
	}
	if i.boot == nil {
		return ctlNone, nil
	}
	v, p, _, err := i.stat(argv[1])
	f := boot.File{Volume: v, Path: p}
	if v == nil {
		f.Path = argv[1]
	}
	i.boot.dtb = &f
	i.boot.dtbErr = err
	return ctlNone, nil
}

func cmdExit(i *interp, argv []string) (ctl, error) {
	if i.boot != nil && !i.boot.loaded {
		i.boot.loaded = true
		i.boot.unsupported = "exit (back to the firmware)"
	}
	return ctlExit, nil
}
