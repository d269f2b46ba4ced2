#!/usr/bin/env python3
# Differential check of the goldens against real GRUB 2.06 (grub-emu).
#
# Usage: diff.py CASE VOLDIR CFGPATH UUID LABEL GOLDEN
#   e.g. diff.py ubuntu-22.04-cloudimg rootfs /boot/grub/grub.cfg \
#        e8328184-226c-4e5e-9635-8142cc114051 cloudimg-rootfs ../golden/ubuntu-22.04-cloudimg.pc.txt
# Needs $GRUBEMU (default /tmp/grubemu) holding `x/` = grub-emu and the
# libraries it needs unpacked with dpkg -x (apt-get download grub-emu
# libsdl1.2debian libpulse0 libcaca0 …), and `run/x86_64-emu` -> the
# module directory. It builds an ext4 image of the volume (mkfs.ext4 -d),
# then for each entry of the golden runs grub-emu with linux/initrd
# replaced by functions that print their arguments, `source`s the config,
# sets default to the entry and timeout=0, and compares kernel, arguments
# and initrds with the golden. grub-emu's terminal is 80 columns wide, so
# longer single arguments are truncated (false mismatches), and the image
# is unpartitioned, so ($root) shows as (hd0) instead of (hd0,gpt1).
import os, re, subprocess, sys, shutil
case, voldir, cfgpath, uuid, label, golden = sys.argv[1:7]
E = os.environ.get('GRUBEMU', '/tmp/grubemu')
img = E + '/img'
src = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'corpus', case, voldir)
if not uuid and os.path.exists(os.path.join(src, 'UUID')):
    uuid = open(os.path.join(src, 'UUID')).read().strip()
if not label and os.path.exists(os.path.join(src, 'LABEL')):
    label = open(os.path.join(src, 'LABEL')).read().strip()
tmp = E + '/vol'
shutil.rmtree(tmp, ignore_errors=True)
shutil.copytree(src, tmp)
for s in ['UUID', 'LABEL', 'TYPE', 'PARTLABEL']:
    p = os.path.join(tmp, s)
    if os.path.exists(p): os.remove(p)
# gfxterm output does not reach grub-emu's stdout: keep the console.
for d, _, fs in os.walk(tmp):
    for f in fs:
        if f.endswith('.cfg'):
            p = os.path.join(d, f)
            t = open(p, 'rb').read().replace(b'terminal_output gfxterm', b'true')
            open(p, 'wb').write(t)
if os.path.exists(img): os.remove(img)
subprocess.run(['truncate', '-s', '16M', img], check=True)
args = ['mkfs.ext4', '-q', '-F', '-d', tmp]
if uuid: args += ['-U', uuid]
if label: args += ['-L', label]
subprocess.run(args + [img], check=True)
open(E + '/device.map', 'w').write('(hd0) %s\n' % img)
g = open(golden).read()
entries = re.findall(r'^entry \d+: (.*)$', g, re.M)
blocks = re.split(r'^entry \d+: .*$', g, flags=re.M)[1:]
env = dict(os.environ)
libdirs = sorted({os.path.dirname(os.path.join(d, f)) for d, _, fs in os.walk(E + '/x') for f in fs if '.so' in f})
env['LD_LIBRARY_PATH'] = ':'.join(libdirs)
bad = 0
for k, title in enumerate(entries):
    spec = '>'.join(t.replace('>', '>>') for t in title.split(' > '))
    cfgdir = os.path.dirname(cfgpath)
    open(E + '/run/grub.cfg', 'w').write(f'''function linux {{ echo "LINUX<"; for a in "$@"; do echo "A:$a"; done; echo "LINUX>"; }}
function linux16 {{ echo "LINUX<"; for a in "$@"; do echo "A:$a"; done; echo "LINUX>"; }}
function linuxefi {{ echo "LINUX<"; for a in "$@"; do echo "A:$a"; done; echo "LINUX>"; }}
function initrd {{ echo "INITRD<"; for a in "$@"; do echo "A:$a"; done; echo "INITRD>"; }}
function initrd16 {{ echo "INITRD<"; for a in "$@"; do echo "A:$a"; done; echo "INITRD>"; }}
function initrdefi {{ echo "INITRD<"; for a in "$@"; do echo "A:$a"; done; echo "INITRD>"; }}
set root=hd0
set prefix=(hd0){cfgdir}
set config_directory=(hd0){cfgdir}
source (hd0){cfgpath}
set default="{spec}"
set timeout=0
menuentry HALT --id haltnow {{ halt; }}
set fallback=haltnow
''')
    r = subprocess.run(['timeout', '6', E + '/x/usr/bin/grub-emu', '-d', E + '/run', '-m', E + '/device.map'],
                       stdin=subprocess.DEVNULL, capture_output=True, env=env)
    out = re.sub(r'\x1b\[[0-9;]*[a-zA-Z]', '', r.stdout.decode('utf-8', 'replace')).replace('\r', '\n')
    booting = re.findall(r"Booting `(.*)'", out)
    def grab(tag):
        res = []
        for blk in re.findall(tag + r'<\n(.*?)' + tag + '>', out, re.S):
            res.append(' '.join(l[2:] for l in blk.split('\n') if l.startswith('A:')))
        return res
    lin = grab('LINUX')
    ini = grab('INITRD')
    b = blocks[k]
    m = re.search(r'^  cmdline: BOOT_IMAGE=(.*)$', b, re.M)
    ours = m.group(1) if m else None
    our_init = [l.split(':', 1)[1] for l in re.findall(r'^  initrd: (.*)$', b, re.M)]
    emu_lin = lin[-1] if lin else None
    emu_init = ini[-1].split() if ini else []
    emu_init = [re.sub(r'^\([^)]*\)', '', x) for x in emu_init]
    ok = (emu_lin == ours) and (not ours or [os.path.normpath(x) for x in emu_init] == [os.path.normpath(x) for x in our_init])
    if not ok:
        bad += 1
        print(f'MISMATCH {case} entry {k} {title!r} booted={booting[-1:]}\n  emu:  {emu_lin!r} {emu_init}\n  ours: {ours!r} {our_init}')
print(f'{case}: {len(entries)} entries, {bad} mismatches')
