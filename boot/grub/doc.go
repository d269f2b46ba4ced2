// Package grub interprets GRUB 2 configuration scripts (grub.cfg) the way
// GRUB 2.06 does, to find what GRUB would boot: the menu entries with
// their kernel, initrds and exact command line, the default entry and
// the timeout.
//
// It is a real interpreter, not a line matcher: a lexer (words, quotes,
// escapes, $var/${var}, positional parameters, comments, continuations),
// a recursive-descent parser producing an AST, and an evaluator with
// GRUB's environment contexts (configfile and submenu see only exported
// variables), functions, if/while/until/for, test/[ ], and the commands
// that matter for booting: set, unset, export, source, configfile,
// search (and search.fs_uuid/fs_label/file), load_env, save_env (recorded
// only), linux/initrd (and the 16/efi forms), devicetree, blscfg (as in
// Fedora/RHEL), probe, regexp, and wildcard expansion of unquoted
// words (sorted matches). Display and module commands are accepted
// without effect; unknown commands are diagnostics. Menu entry bodies
// are run as GRUB runs them when the entry is chosen, after the whole
// config has run, so variables set later in grub.cfg and `if` inside
// bodies work. No library is used because none implements GRUB's
// language; existing Go parsers (u-root's) match lines and lose errors.
//
// Parse is pure: it reads only the io/fs.FS of the volumes given, never
// writes: every save_env is recorded, resolved to its file, in
// Result.EnvWrites and in each entry's boot.Entry.EnvUpdates (the config's
// own save_envs, then the entry body's). EnvChanges turns an entry's
// updates into new same-size blocks (ApplyEnv does one save_env as GRUB
// does); writing them is the boot stage's job, and only when allowed. It
// reports every problem as a boot.Diagnostic with file and line. A
// broken entry is kept with Entry.Err set.
//
// Which configs: on each volume, the first of /boot/grub/grub.cfg,
// /grub/grub.cfg, /boot/grub2/grub.cfg, /grub2/grub.cfg; with
// WithPlatform("efi"), the ESP stubs /EFI/*/grub.cfg come first (and a
// volume that has one is not read at its standard path). A config
// reached twice (an ESP stub's configfile and directly) is listed once.
//
// An entry that runs configfile (openSUSE's snapshot entries, chain
// menus) shows another menu when chosen: that file is read with the
// entry's variables and the entry becomes a submenu of its entries.
//
// btrfs: a volume's FS shows the top level, where upstream GRUB's paths
// start (/@/boot/... on Ubuntu). SUSE's GRUB reads paths relative to a
// subvolume when $btrfs_relative_path is "y": a subvolume
// btrfs-mount-subvol put over the path, else $btrfs_subvol, else the
// default subvolume (boot.Volume.BtrfsDefault); btrfs_subvol and
// btrfs_relative_path pass into new contexts as SUSE's module exports
// them. A btrfs volume with no config at a top-level path is read from
// its default subvolume, relative to it, as SUSE's GRUB core does.
//
// Devices: volumes are numbered as GRUB numbers disks, in slice order of
// their Disk (hd0, hd1, …), partitions as hdN,gptM or hdN,msdosM (by the
// partition type), whole-disk iso9660 volumes also as cd0, cd1, ….
// Paths are cleaned so they can never leave their volume.
//
// Limits (see Limits and DefaultLimits): a step budget per config file,
// per entry body and per Parse call; a depth limit for function calls,
// source, configfile and submenus; a syntactic nesting limit; a cap on
// statements per file, on file size (a larger file is refused without
// being read), on variable and word size, on entries and on
// diagnostics. A config that hits a limit gets a diagnostic; what was
// built before stays, and every other entry still works. The defaults:
// 200,000 steps per config file, 20,000 per entry body, 2,000,000 per
// Parse (expanding 256 bytes costs one step); depth 32; nesting 128;
// 100,000 statements per file; files up to 4 MiB; values up to 64 KiB;
// 2,000 entries; 500 diagnostics. `while true` or a 100 MB grub.cfg
// end in milliseconds.
//
// Semantics confirmed against GRUB 2.06 (grub-emu) and its sources: the
// Linux loader prepends BOOT_IMAGE=<kernel path as written>, arguments
// with spaces are double-quoted; an unquoted empty variable adds no
// argument and a quoted one adds an empty argument; `set` uses only its
// first argument; "name=value" as a command assigns the first expanded
// word ("x=$y" with y="a b" sets x to "a"); "$@" gives one field per
// parameter (one empty field when there are none); an unknown command
// leaves $? at 0; timeout=-1 (or any non-number) waits; `[ ]` with no
// arguments is true; `-s` on a directory is false; long options take the
// next argument unless it starts with '-' (so `--users $empty --id x`
// fails, as in GRUB); the default is found by number (a submenu counts
// as one item), title or --id, with "a>b" paths and ">>" for '>'; an
// unmatched default means entry 0; fallback applies when the default
// entry is broken.
package grub
