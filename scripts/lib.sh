# Shared by the experiment drivers.

# cached MARKER CMD...: runs CMD unless MARKER exists and was made by the same command line,
# with the same input files (every argument after the program that names a file counts by
# size and mtime, except the outputs after -o, --output and --plot; rebuilding vssoff itself
# does not invalidate the cache),
# recorded beside it in MARKER.cmd. A cached step therefore reruns when any parameter or
# input that made it changes (a new --classes list, a retrained model, a regenerated clip).
cached() {
  local marker=$1 key arg
  shift
  key="$(printf '%q' "$1") "
  local prev=
  for arg in "${@:2}"; do
    key+="$(printf '%q' "$arg")"
    # An output (after -o, --output, --plot) is not an input: it exists only from the second run.
    case $prev in -o | --output | --plot) ;; *) [ -f "$arg" ] && key+="{$(stat -c '%s %Y' "$arg")}" ;; esac
    key+=" "
    prev=$arg
  done
  if [ -e "$marker" ] && [ -f "$marker.cmd" ] && [ "$(cat "$marker.cmd")" = "$key" ]; then return 0; fi
  "$@"
  printf '%s' "$key" > "$marker.cmd"
}

# fetch_vtest DEST: OpenCV's sample vtest.avi (Debian's opencv-doc), once.
fetch_vtest() {
  [ -f "$1" ] && return 0
  local tmp
  tmp=$(mktemp -d)
  (cd "$tmp" && apt-get download opencv-doc >/dev/null 2>&1 &&
    dpkg-deb --fsys-tarfile opencv-doc_*.deb | tar -x ./usr/share/doc/opencv-doc/examples/data/vtest.avi)
  mv "$tmp/usr/share/doc/opencv-doc/examples/data/vtest.avi" "$1"
  rm -rf "$tmp"
}
