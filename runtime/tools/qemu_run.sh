#!/bin/bash
# qemu_run.sh [--marks FILE] [--plugin SO] MACHINE ELF
# Runs bare-metal firmware on qemu-system-arm with semihosting; the guest's console goes to
# stdout and its exit status becomes this script's status (non-zero on any mismatch/fault).
# --marks FILE: count instructions with the insncount plugin (built on demand next to this
# script, in $TPR_TOOLS_BUILD or /tmp) and write its MARK/TOTAL lines to FILE.
set -u
MARKS="" PLUGIN=""
while [ $# -gt 2 ]; do
  case "$1" in
    --marks) MARKS=$2; shift 2 ;;
    --plugin) PLUGIN=$2; shift 2 ;;
    *) echo "usage: $0 [--marks FILE] [--plugin SO] MACHINE ELF" >&2; exit 2 ;;
  esac
done
[ $# -eq 2 ] || { echo "usage: $0 [--marks FILE] [--plugin SO] MACHINE ELF" >&2; exit 2; }
MACHINE=$1 ELF=$2
HERE=$(cd "$(dirname "$0")" && pwd)
EXTRA=()
if [ -n "$MARKS" ]; then
  if [ -z "$PLUGIN" ]; then
    PLUGIN=${TPR_TOOLS_BUILD:-/tmp/tpr_tools_$(id -u)}/insncount.so
    if [ ! -f "$PLUGIN" ] || [ "$HERE/insncount.c" -nt "$PLUGIN" ]; then
      mkdir -p "$(dirname "$PLUGIN")"
      gcc -shared -fPIC -O2 -Wall -o "$PLUGIN" "$HERE/insncount.c" || exit 91
    fi
  fi
  read -r MARK MSIZE < <(arm-none-eabi-nm -S "$ELF" | awk '$4=="icount_mark"{print "0x"$1, "0x"$2}')
  SLOTS=$(arm-none-eabi-nm "$ELF" | awk '$3=="icount_mark_slots"{print "0x"$1}')
  [ -n "${MARK:-}" ] && [ -n "$SLOTS" ] || { echo "no icount_mark symbols in $ELF" >&2; exit 90; }
  EXTRA=(-plugin "$PLUGIN,mark=$MARK,marksize=$MSIZE,slots=$SLOTS,nslots=256,out=$MARKS")
fi
exec timeout "${QEMU_TIMEOUT:-900}" qemu-system-arm -M "$MACHINE" -nographic -monitor none \
  -serial null -semihosting-config enable=on,target=native "${EXTRA[@]}" -kernel "$ELF"
