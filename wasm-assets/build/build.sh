#!/usr/bin/env bash
# Reproducible build of eryx's CPython 3.14 for wasm32-wasip1 and its stdlib archive.
#
#   build.sh                 run every stage in order
#   build.sh STAGE...        run only the named stages (each relies on the earlier ones' outputs)
#
# Stages: toolchain fetch native libs wasm strip instrument stdlib test manifest install
# Scratch space: $ERYX_BUILD_DIR (default /tmp/eryx-wasm-build); downloads and builds are cached there.
# ERYX_INTERP=trampoline (default) builds the trampolined call-threaded interpreter;
# ERYX_INTERP=switch builds CPython's stock switch-based eval loop (for comparisons).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ASSETS=$(cd "$HERE/.." && pwd)
. "$HERE/lib.sh"

B=${ERYX_BUILD_DIR:-/tmp/eryx-wasm-build}
INTERP=${ERYX_INTERP:-trampoline}
# ERYX_DIRECT_DISPATCH=1: the trampoline's driver loop reaches the handlers through br_table
# dispatchers instead of call_indirect (FuelInstrument --direct-dispatch). Off by default: it did
# not win its A/B (docs/performance.md, "Lever 4").
DIRECT_DISPATCH=${ERYX_DIRECT_DISPATCH:-0}
JOBS=${ERYX_JOBS:-2}
PY_VERSION=3.14.7
PY_SHORT=3.14

# Source tarballs: pool path, sha256. Mirror taken from this machine's apt configuration.
SOURCES=(
  "p/python3.14/python3.14_3.14.7.orig.tar.xz 3b48dac8fb59f62eaa67ac83c1eb12bda1b7a08406dd286e252c11a66be27f81"
  "z/zlib/zlib_1.3.dfsg+really1.3.2.orig.tar.gz 7b6903eb019983987b7112eccf90f1703f1c6c0e0cede36564bf611d19ca579d"
  "s/sqlite3/sqlite3_3.53.4.orig.tar.xz 05366adc8ee80c6b1faa71285b49d133c2121238ca58934b077fdeb95934abd4"
  "b/bzip2/bzip2_1.0.8.orig.tar.gz ab5a03176ee106d3f0fa90e381da478ddae405918153cca248e682cd0c4a2269"
  "x/xz-utils/xz-utils_5.8.4.orig.tar.xz 4ce24038fd4221e0d13bc1a2de7a4db56e90b92b3bf75321f6c14be73f65de4b"
)

# Built-in extension modules: third-party C extension modules compiled for wasm32-wasip1, linked
# into python.wasm and registered in the init table under their dotted names (patches/0003), so a
# package's pure-Python part (from the packages layer) finds its compiled part. One line each:
#   "dotted.name  pool-path-of-source-tarball  sha256  file.c[,file.c...]  [extra cflags...]"
# The tarball is fetched and checked like SOURCES and unpacked without its top directory; the C
# files are relative to that. PyInit_<last part of the name> is renamed at compile time to
# PyInit_<the name with dots as underscores>, so two packages' `_speedups` cannot clash.
# README.md ("Built-in extension modules") says what the C code must satisfy.
BUILTIN_EXTENSIONS=(
  "markupsafe._speedups m/markupsafe/markupsafe_3.0.3.orig.tar.gz 722695808f4b6457b320fdc131280796bdceb04ab50fe1795cd540799ebe1698 src/markupsafe/_speedups.c"
)

# Memory layout of the final module (see README.md for the reasoning).
STACK_SIZE=$((8 * 1024 * 1024))        # CPython assumes a 4,000,000-byte C stack on WASI
INITIAL_MEMORY=$((20 * 1024 * 1024))   # grows on demand; the host caps the maximum
MAX_MEMORY=$((4096 * 1024 * 1024 - 65536))

DL=$B/downloads
NATIVE_SRC=$B/src/Python-$PY_VERSION      # pristine tree for the native build python
SRC=$B/src-wasm/Python-$PY_VERSION        # patched tree for the wasm build
NATIVE=$B/native
DEPS=$B/deps
PREFIX=$DEPS/prefix
WBUILD=$B/wasm-$INTERP
OUT=$B/out-$INTERP
TOOLBIN=$B/bin
RESOURCES=$ASSETS/src/main/resources/dev/eryx/wasm
LICENSES=$ASSETS/src/main/resources/META-INF/licenses

export LC_ALL=C TZ=UTC
# Fixed time stamp: the mtime CPython's release tarball gives Include/patchlevel.h.
sde_file=$B/source-date-epoch
[ -f "$sde_file" ] && export SOURCE_DATE_EPOCH=$(cat "$sde_file")
export PYTHONHASHSEED=0

# Objects compiled with extra flags (appended after OPT), as "object flags...". Chicory turns each
# wasm function into one JVM method and HotSpot never JIT-compiles a method above 8,000 bytes of
# bytecode; clang's inlining of plain static helpers made these files' hot functions that large
# (PyUnicode_Format; _Py_dg_strtod, _Py_dg_dtoa; the bytecode compiler's _PyCfg_OptimizeCodeUnit and
# codegen_visit_stmt, which every execution runs). -finline-hint-functions inlines only functions
# declared inline (Py_INCREF and the other header helpers stay inlined); HotSpot inlines small
# callees again on its own. Not -fno-inline-functions: in clang that stops inlining everything
# but always_inline, and made the interpreter's hot path slower (docs/performance.md).
PER_FILE_CFLAGS=(
  "Objects/unicodeobject.o -finline-hint-functions"
  "Python/dtoa.o -finline-hint-functions"
  "Python/flowgraph.o -finline-hint-functions"
  "Python/codegen.o -finline-hint-functions"
)

# SQLite's compile-time options; sqlite/eryx_sqlite3.c adds the default VFS ("unix", POSIX advisory
# locks answered inside the module) so readers share a database as SQLite expects.
SQLITE_CFLAGS="-DSQLITE_THREADSAFE=0 -DSQLITE_OMIT_LOAD_EXTENSION -DSQLITE_OMIT_WAL -DSQLITE_OMIT_SHARED_CACHE"
SQLITE_CFLAGS+=" -DSQLITE_DEFAULT_MEMSTATUS=0 -DSQLITE_OMIT_DEPRECATED -DSQLITE_DQS=0 -DSQLITE_ENABLE_MATH_FUNCTIONS"
SQLITE_CFLAGS+=" -D_WASI_EMULATED_MMAN"

# Compiler flags shared by every wasm compile: map the scratch dir away so no build path is embedded.
REPRO_CFLAGS="-ffile-prefix-map=$B=/eryx-build -fdebug-prefix-map=$B=/eryx-build -fmacro-prefix-map=$B=/eryx-build"
WASM_CFLAGS_BASE="-O2 $REPRO_CFLAGS"

stage_toolchain() {
  log "toolchain"
  if [ "$(id -u)" = 0 ]; then bash "$HERE/install-toolchain.sh"
  else sudo bash "$HERE/install-toolchain.sh"; fi
  mkdir -p "$TOOLBIN"
  # clang-19 --target=wasm32-wasip1 cannot find Debian's compiler-rt (installed under the "wasi" name).
  for t in cc:clang-19 c++:clang++-19; do
    name=${t%%:*}; comp=${t#*:}
    printf '#!/bin/sh\nexec %s --target=wasm32-wasi "$@"\n' "$comp" > "$TOOLBIN/wasm32-wasi-$name"
    chmod +x "$TOOLBIN/wasm32-wasi-$name"
  done
  printf '#!/bin/sh\nexec clang-19 --target=wasm32-wasi -E "$@"\n' > "$TOOLBIN/wasm32-wasi-cpp"
  chmod +x "$TOOLBIN/wasm32-wasi-cpp"
}

# "pool-path sha256" of every tarball: SOURCES, then each extension's source (once per tarball).
all_sources() {
  printf '%s\n' "${SOURCES[@]}"
  local e
  for e in ${BUILTIN_EXTENSIONS[@]+"${BUILTIN_EXTENSIONS[@]}"}; do
    set -- $e; echo "$2 $3"
  done | awk '!seen[$0]++'
}

stage_fetch() {
  log "fetch"
  mkdir -p "$DL" "$B/src" "$B/src-wasm"
  local mirror; mirror=$(mirror_uri)
  local entry
  while read -r entry; do
    local path=${entry% *} sum=${entry#* } f
    f=$DL/$(basename "$path")
    if [ ! -f "$f" ] || ! echo "$sum  $f" | sha256sum -c --quiet - 2>/dev/null; then
      curl -fsSL -o "$f.part" "$mirror/pool/main/$path"
      mv "$f.part" "$f"
    fi
    echo "$sum  $f" | sha256sum -c --quiet - || die "checksum mismatch for $f"
  done < <(all_sources)
  # Unpack + patch CPython into a pristine tree (redone whenever a patch or the bridge changes).
  local stamp_new stamp_old=""
  stamp_new=$(cat $(ls "$HERE"/patches/*.patch "$HERE"/entry/*.c 2>/dev/null) "$HERE"/bridge/* | sha256sum | cut -c1-16)
  [ -f "$SRC/.eryx-stamp" ] && stamp_old=$(cat "$SRC/.eryx-stamp")
  if [ "$stamp_new" != "$stamp_old" ]; then
    rm -rf "$SRC"
    tar -C "$B/src-wasm" -xf "$DL/python3.14_$PY_VERSION.orig.tar.xz"
    for p in "$HERE"/patches/*.patch; do
      [ -e "$p" ] || continue
      echo "applying $(basename "$p")"
      patch -d "$SRC" -p1 --no-backup-if-mismatch < "$p"
    done
    cp "$HERE/bridge/_eryxmodule.c" "$SRC/Modules/_eryxmodule.c"
    [ -f "$HERE/entry/eryx_entry.c" ] && cp "$HERE/entry/eryx_entry.c" "$SRC/Modules/eryx_entry.c"
    echo "$stamp_new" > "$SRC/.eryx-stamp"
  fi
  [ -d "$NATIVE_SRC" ] || tar -C "$B/src" -xf "$DL/python3.14_$PY_VERSION.orig.tar.xz"
  stat -c %Y "$NATIVE_SRC/Include/patchlevel.h" > "$sde_file"
  export SOURCE_DATE_EPOCH=$(cat "$sde_file")
}

stage_native() {
  log "native build of CPython $PY_VERSION (build python)"
  mkdir -p "$NATIVE"
  if [ ! -x "$NATIVE/python" ]; then
    (cd "$NATIVE" && { [ -f Makefile ] || "$NATIVE_SRC/configure" -q; } && make -j"$JOBS" -s >make.log 2>&1) \
      || { tail -30 "$NATIVE/make.log"; die "native build failed"; }
  fi
  "$NATIVE/python" -c 'import sys; print(sys.version)'
}

wasm_env() {
  export CC="$TOOLBIN/wasm32-wasi-cc" CXX="$TOOLBIN/wasm32-wasi-c++" CPP="$TOOLBIN/wasm32-wasi-cpp"
  export AR=llvm-ar-19 RANLIB=llvm-ranlib-19 NM=llvm-nm-19
  export PKG_CONFIG_PATH="" PKG_CONFIG_LIBDIR=""
}

stage_libs() {
  log "zlib, bzip2, xz (liblzma), sqlite3 for wasm32-wasi"
  wasm_env
  mkdir -p "$DEPS/src" "$PREFIX/include" "$PREFIX/lib"
  local cflags="$WASM_CFLAGS_BASE"

  # zlib: compile the library sources directly.
  if [ ! -f "$PREFIX/lib/libz.a" ]; then
    rm -rf "$DEPS/src/zlib"; mkdir -p "$DEPS/src/zlib"
    tar -C "$DEPS/src/zlib" --strip-components=1 -xf "$DL/zlib_1.3.dfsg+really1.3.2.orig.tar.gz"
    (cd "$DEPS/src/zlib" &&
      for f in adler32 compress crc32 deflate gzclose gzlib gzread gzwrite infback inffast inflate inftrees trees uncompr zutil; do
        $CC $cflags -D_LARGEFILE64_SOURCE=1 -DHAVE_UNISTD_H -c $f.c -o $f.o; done &&
      rm -f libz.a && $AR rcsD libz.a adler32.o compress.o crc32.o deflate.o gzclose.o gzlib.o gzread.o gzwrite.o \
        infback.o inffast.o inflate.o inftrees.o trees.o uncompr.o zutil.o &&
      cp zlib.h zconf.h "$PREFIX/include/" && cp libz.a "$PREFIX/lib/")
  fi

  # bzip2: likewise.
  if [ ! -f "$PREFIX/lib/libbz2.a" ]; then
    rm -rf "$DEPS/src/bzip2"; mkdir -p "$DEPS/src/bzip2"
    tar -C "$DEPS/src/bzip2" --strip-components=1 -xf "$DL/bzip2_1.0.8.orig.tar.gz"
    (cd "$DEPS/src/bzip2" &&
      for f in blocksort huffman crctable randtable compress decompress bzlib; do
        $CC $cflags -D_FILE_OFFSET_BITS=64 -c $f.c -o $f.o; done &&
      rm -f libbz2.a && $AR rcsD libbz2.a blocksort.o huffman.o crctable.o randtable.o compress.o decompress.o bzlib.o &&
      cp bzlib.h "$PREFIX/include/" && cp libbz2.a "$PREFIX/lib/")
  fi

  # liblzma via its own configure (static only, no threads, no tools).
  if [ ! -f "$PREFIX/lib/liblzma.a" ]; then
    rm -rf "$DEPS/src/xz"; mkdir -p "$DEPS/src/xz"
    tar -C "$DEPS/src/xz" --strip-components=1 -xf "$DL/xz-utils_5.8.4.orig.tar.xz"
    (cd "$DEPS/src/xz" &&
      CFLAGS="$cflags" ./configure -q --host=wasm32-wasi --build="$(env -u CC -u CXX -u CPP "$SRC/config.guess")" --prefix="$PREFIX" \
        --disable-shared --enable-static --disable-threads --disable-xz --disable-xzdec --disable-lzmadec \
        --disable-lzmainfo --disable-lzma-links --disable-scripts --disable-doc --disable-nls --disable-sandbox \
        --disable-microlzma --disable-lzip-decoder --disable-symbol-versions --disable-ifunc --disable-clmul-crc \
        --disable-arm64-crc32 >configure.log 2>&1 &&
      make -j"$JOBS" -C src/liblzma >make.log 2>&1 && make -C src/liblzma install >>make.log 2>&1) \
      || { echo "liblzma build failed (see $DEPS/src/xz/*.log); continuing without _lzma" >&2; }
    rm -f "$PREFIX"/lib/liblzma.la
  fi

  # sqlite3: generate the amalgamation natively (the tarball is the full tree), then compile it for
  # wasm through sqlite/eryx_sqlite3.c (the "unix" VFS with in-process POSIX advisory locks, in place
  # of WASI's default dotfile locking). Rebuilt, and python.wasm relinked, when the flags or the
  # wrapper change.
  local sqlite_stamp
  sqlite_stamp=$( { echo "$SQLITE_CFLAGS"; cat "$HERE/sqlite/eryx_sqlite3.c"; } | sha256sum | cut -c1-16)
  if [ -f "$PREFIX/lib/libsqlite3.a" ] && [ "$(cat "$PREFIX/lib/.sqlite-stamp" 2>/dev/null)" != "$sqlite_stamp" ]; then
    rm -f "$PREFIX/lib/libsqlite3.a" "$WBUILD/python.wasm" "$WBUILD/python-reactor.wasm"
  fi
  if [ ! -f "$PREFIX/lib/libsqlite3.a" ]; then
    rm -rf "$DEPS/src/sqlite"; mkdir -p "$DEPS/src/sqlite"
    tar -C "$DEPS/src/sqlite" --strip-components=1 -xf "$DL/sqlite3_3.53.4.orig.tar.xz"
    (cd "$DEPS/src/sqlite" &&
      env -u CC -u CXX -u CPP -u AR -u RANLIB -u NM ./configure >configure.log 2>&1 &&
      env -u CC -u CXX -u CPP -u AR -u RANLIB -u NM make sqlite3.c >make.log 2>&1 &&
      cp "$HERE/sqlite/eryx_sqlite3.c" . &&
      $CC $cflags $SQLITE_CFLAGS -c eryx_sqlite3.c -o sqlite3.o &&
      rm -f libsqlite3.a && $AR rcsD libsqlite3.a sqlite3.o &&
      cp sqlite3.h sqlite3ext.h "$PREFIX/include/" && cp libsqlite3.a "$PREFIX/lib/") \
      || die "sqlite3 build failed (see $DEPS/src/sqlite)"
    echo "$sqlite_stamp" > "$PREFIX/lib/.sqlite-stamp"
  fi
  ls -l "$PREFIX/lib"
}

# Writes $2 into file $1 only when it differs, so make sees a change only when there is one.
write_if_changed() {
  if [ ! -f "$1" ] || [ "$2" != "$(cat "$1")" ]; then printf '%s\n' "$2" > "$1"; fi
}

# Where an extension's tarball (pool path $1) is unpacked: $B/ext-src/<name without .orig.tar.*>.
ext_dir() {
  echo "$B/ext-src/$(basename "$1" | sed -E 's/\.orig\.tar\.[a-z0-9]+$//; s/\.tar\.[a-z0-9]+$//')"
}

# Unpacks the extensions' tarballs and generates, in the wasm build directory,
# eryx_builtin_extensions.h (the init functions and the init-table rows, included by
# Modules/config.c through patches/0003) and eryx-extensions.mk (the compile rules; the objects are
# appended to MODLIBS, so they link last into both the command and the reactor and shift no other
# function's index).
prepare_extensions() {
  local decls="" rows="" objs="" rules="" names="" e
  mkdir -p "$B/ext-src"
  for e in ${BUILTIN_EXTENSIONS[@]+"${BUILTIN_EXTENSIONS[@]}"}; do
    set -- $e
    local name=$1 path=$2 sum=$3 files=$4; shift 4
    local extra="$*" tarball=$DL/$(basename "$path")
    local dir; dir=$(ext_dir "$path")
    [[ $name =~ ^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)+$ ]] \
      || die "built-in extension $name: not a dotted module name (package.module)"
    local last=${name##*.} symbol=${name//./_}
    case " $names " in *" $symbol "*) die "built-in extensions: two names mangle to PyInit_$symbol";; esac
    names+=" $symbol"
    if [ "$(cat "$dir/.eryx-sha256" 2>/dev/null)" != "$sum" ]; then
      rm -rf "$dir"; mkdir -p "$dir"
      tar -C "$dir" --strip-components=1 -xf "$tarball"
      echo "$sum" > "$dir/.eryx-sha256"
    fi
    decls+="extern PyObject *PyInit_$symbol(void);"$'\n'
    rows+="    {\"$name\", PyInit_$symbol}, \\"$'\n'
    local f
    for f in ${files//,/ }; do
      [ -f "$dir/$f" ] || die "built-in extension $name: no $f in $(basename "$tarball")"
      local obj=Modules/eryx-ext/$name/${f//\//-}; obj=${obj%.c}.o
      objs+=" $obj"
      rules+="$obj: $dir/$f \$(PYTHON_HEADERS) eryx-extensions.mk"$'\n'
      rules+=$'\t'"@mkdir -p \$(@D)"$'\n'
      rules+=$'\t'"\$(CC) -c \$(PY_CFLAGS) \$(PY_CPPFLAGS) -fvisibility=hidden -I$(dirname "$dir/$f") -DPyInit_$last=PyInit_$symbol $extra -o \$@ $dir/$f"$'\n'
    done
  done
  write_if_changed "$WBUILD/eryx_builtin_extensions.h" "/* Generated by wasm-assets/build/build.sh from BUILTIN_EXTENSIONS; included by Modules/config.c. */
$decls
#define ERYX_BUILTIN_EXTENSION_ENTRIES \\
$rows    /* end */"
  write_if_changed "$WBUILD/eryx-extensions.mk" "# Generated by wasm-assets/build/build.sh from BUILTIN_EXTENSIONS.
ERYX_EXT_OBJS =$objs
MODLIBS += \$(ERYX_EXT_OBJS)
\$(BUILDPYTHON) python-reactor.wasm: \$(ERYX_EXT_OBJS)
Modules/config.o: eryx_builtin_extensions.h
$rules"
}

stage_wasm() {
  log "CPython $PY_VERSION for wasm32-wasip1 ($INTERP interpreter)"
  wasm_env
  mkdir -p "$WBUILD/Modules"
  # The bridge module _eryx and the compression/sqlite modules are linked in statically.
  cat > "$WBUILD/Modules/Setup.local" <<'EOF'
*static*
_eryx _eryxmodule.c
EOF
  local extra=()
  [ "$INTERP" = trampoline ] && extra+=(--with-tail-call-interp)
  local lzma=(ERYX_NO_LZMA=1)
  if [ -f "$PREFIX/lib/liblzma.a" ]; then
    lzma=(LIBLZMA_CFLAGS="-I$PREFIX/include" LIBLZMA_LIBS="-L$PREFIX/lib -llzma")
  fi
  CONFIGURE_FLAGS=(--host=wasm32-wasip1 --build="$(env -u CC -u CXX -u CPP "$SRC/config.guess")" --with-build-python="$NATIVE/python"
    --disable-test-modules --without-ensurepip "${extra[@]}")
  # configure is run through a relative path: srcdir (VPATH) is compiled into getpath.c as a
  # string, so an absolute path would make the binary depend on $ERYX_BUILD_DIR.
  local flags_now flags_old=""
  flags_now=$(echo "${CONFIGURE_FLAGS[*]} ${lzma[*]}" | sed "s|$B|\$ERYX_BUILD_DIR|g")
  [ -f "$WBUILD/eryx-configure-flags" ] && flags_old=$(cat "$WBUILD/eryx-configure-flags")
  if [ ! -f "$WBUILD/Makefile" ] || [ "$SRC/.eryx-stamp" -nt "$WBUILD/Makefile" ] || [ "$flags_now" != "$flags_old" ]; then
    rm -f "$WBUILD/config.cache" "$WBUILD/Makefile"
    (cd "$WBUILD" &&
      env CONFIG_SITE="$SRC/Tools/wasm/wasi/config.site-wasm32-wasi" \
      CFLAGS="$REPRO_CFLAGS" \
      ZLIB_CFLAGS="-I$PREFIX/include" ZLIB_LIBS="-L$PREFIX/lib -lz" \
      BZIP2_CFLAGS="-I$PREFIX/include" BZIP2_LIBS="-L$PREFIX/lib -lbz2" \
      LIBSQLITE3_CFLAGS="-I$PREFIX/include" LIBSQLITE3_LIBS="-L$PREFIX/lib -lsqlite3" \
      "${lzma[@]}" \
      "../src-wasm/Python-$PY_VERSION/configure" -q "${CONFIGURE_FLAGS[@]}" >configure.log 2>&1) \
      || { tail -30 "$WBUILD/config.log"; die "configure failed"; }
    echo "$flags_now" > "$WBUILD/eryx-configure-flags"
  fi
  # Per-file flags as target-specific variables of an extra makefile. make does not notice changed
  # flags, so the objects whose flags changed (in the old list or the new one) are rebuilt.
  local perfile=$WBUILD/eryx-per-file.mk perfile_now
  perfile_now=$(for e in ${PER_FILE_CFLAGS[@]+"${PER_FILE_CFLAGS[@]}"}; do echo "${e%% *}: PY_CORE_CFLAGS += ${e#* }"; done)
  if [ ! -f "$perfile" ] || [ "$perfile_now" != "$(cat "$perfile")" ]; then
    for o in $( { cat "$perfile" 2>/dev/null || true; echo "$perfile_now"; } | cut -d: -f1 | sort -u); do
      rm -f "$WBUILD/$o"
    done
    echo "$perfile_now" > "$perfile"
  fi
  prepare_extensions
  local extmk=$WBUILD/eryx-extensions.mk
  # Memory layout and the bridge's exports; appended after configure's own -z stack-size/--initial-memory.
  local ldflags="-z stack-size=$STACK_SIZE -Wl,--stack-first -Wl,--initial-memory=$INITIAL_MEMORY"
  ldflags+=" -Wl,--max-memory=$MAX_MEMORY"
  ldflags+=" -Wl,--export=eryx_interrupt_flag -Wl,--export=eryx_fuel -Wl,--export=eryx_abi_version"
  (cd "$WBUILD" && make -f Makefile -f "$perfile" -f "$extmk" -j"$JOBS" OPT="-DNDEBUG -g0 -O3 -Wall" LDFLAGS_NODIST="$ldflags" python.wasm sharedmods \
      >make.log 2>&1) \
    || { grep -E 'error|Error' "$WBUILD/make.log" | head -30; tail -20 "$WBUILD/make.log"; die "wasm build failed"; }
  (cd "$WBUILD" && make -f Makefile -f "$perfile" -f "$extmk" -j"$JOBS" OPT="-DNDEBUG -g0 -O3 -Wall" LDFLAGS_NODIST="$ldflags" pybuilddir.txt >>make.log 2>&1) || true
  # The shipped module is a WASI reactor (docs/bridge-abi.md): same objects, entry/eryx_entry.c
  # instead of Programs/python.c. python.wasm (a command with _start) is kept for the Node checks.
  if [ -f "$SRC/Modules/eryx_entry.c" ]; then
    (cd "$WBUILD" && make -f Makefile -f "$perfile" -f "$extmk" -f "$HERE/reactor.mk" OPT="-DNDEBUG -g0 -O3 -Wall" LDFLAGS_NODIST="$ldflags" \
        python-reactor.wasm >>make.log 2>&1) || { tail -20 "$WBUILD/make.log"; die "reactor link failed"; }
    ls -l "$WBUILD/python-reactor.wasm"
  fi
  ls -l "$WBUILD/python.wasm"
  grep -E '^(_zlib|_bz2|_lzma|_sqlite3|_eryx)' "$WBUILD/Modules/config.c" 2>/dev/null || true
  grep -oE 'PyInit_(zlib|_bz2|_lzma|_sqlite3|_eryx)' "$WBUILD/Modules/config.c" | sort -u
  grep -A3 ERYX_BUILTIN_EXTENSION_ENTRIES "$WBUILD/eryx_builtin_extensions.h"
}

stage_strip() {
  log "strip"
  mkdir -p "$OUT"
  local main=$WBUILD/python.wasm
  [ -f "$WBUILD/python-reactor.wasm" ] && main=$WBUILD/python-reactor.wasm
  cp "$main" "$OUT/python.unstripped.wasm"
  wasm-strip -o "$OUT/python.stripped.wasm" "$main"
  cp "$OUT/python.stripped.wasm" "$OUT/python.wasm"
  wasm-strip -o "$OUT/python-command.wasm" "$WBUILD/python.wasm"   # for the Node checks only
  ls -l "$OUT/python.wasm" "$OUT/python-command.wasm"
  wasm-objdump -x -j Import "$OUT/python.wasm" | grep -E '<-' | sed -E 's/.*<- ([a-z_0-9]+)\..*/\1/' | sort | uniq -c
  wasm-objdump -x -j Export "$OUT/python.wasm" | grep -E '^ - '
  local bad
  bad=$(wasm-objdump -x -j Import "$OUT/python.wasm" | grep -E '<-' | grep -v -E '<- (wasi_snapshot_preview1|eryx)\.' || true)
  [ -z "$bad" ] || die "unexpected imports: $bad"
}

stage_instrument() {
  log "instrument (fuel)"
  local tool=$HERE/tools/FuelInstrument.java
  if [ ! -f "$tool" ]; then
    echo "no $tool yet: skipping fuel instrumentation (python.wasm stays uninstrumented)"
    return 0
  fi
  # Always from the stripped module, so rerunning this stage never instruments twice.
  # --narrow-dispatch: functions only ever called directly leave the call_indirect switches, and
  # signatures with more table functions than one switch should hold are split into partitions;
  # Chicory otherwise makes those switches too large for HotSpot to compile (docs/performance.md).
  # --split-functions: functions whose JVM method would exceed HotSpot's 8,000-byte JIT limit get
  # regions outlined into new functions (7,000 leaves room for the size model's error; fuel counts
  # are unchanged; docs/wasm-levers.md, "Function splitting").
  # --direct-dispatch: the driver loop (_Py_eryx_run, inlined into _PyEval_EvalFrameDefault) makes
  # one call_indirect per bytecode; table 0 never changes, so a br_table over its slots calls the
  # handlers directly (docs/performance.md, "Lever 4"). Function indices are those of the unstripped
  # module (strip only drops custom sections).
  local direct=()
  if [ "$INTERP" = trampoline ] && [ "$DIRECT_DISPATCH" = 1 ]; then
    local driver
    driver=$(wasm-objdump -x -j Function "$OUT/python.unstripped.wasm" \
      | sed -nE 's/^ - func\[([0-9]+)\] .*<_PyEval_EvalFrameDefault>$/\1/p')
    [ -n "$driver" ] || die "no _PyEval_EvalFrameDefault in python.unstripped.wasm (the driver loop for --direct-dispatch)"
    direct=(--direct-dispatch "$driver")
  fi
  java "$tool" "$OUT/python.stripped.wasm" "$OUT/python.instrumented.wasm" --narrow-dispatch \
    --split-functions 7000 "${direct[@]}" --report
  cp "$OUT/python.instrumented.wasm" "$OUT/python.wasm"
  ls -l "$OUT/python.wasm"
}

stage_stdlib() {
  log "stdlib.zip"
  mkdir -p "$OUT"
  local sysconf
  sysconf=$(ls "$WBUILD"/build/lib.wasi-wasm32-$PY_SHORT/_sysconfigdata_*.py | head -n1)
  "$NATIVE/python" -I "$HERE/tools/mkstdlib.py" --lib "$SRC/Lib" --sysconfigdata "$sysconf" \
    --strip-prefix "$B=/eryx-build" --epoch "$SOURCE_DATE_EPOCH" --out "$OUT/stdlib.zip"
  ls -l "$OUT/stdlib.zip"
}

stage_test() {
  log "test under Node's WASI"
  command -v node >/dev/null || { echo "node not installed: skipping the test stage"; return 0; }
  local t=$B/test-root; rm -rf "$t"; mkdir -p "$t/usr/local/lib"
  (cd "$t/usr/local/lib" && mkdir python3.14 && cd python3.14 && "$NATIVE/python" -m zipfile -e "$OUT/stdlib.zip" .)
  cp "$HERE"/tools/guest/*.py "$t/"
  # The command build of the same objects runs the scripts; the reactor gets an end-to-end check.
  local cmd=$OUT/python-command.wasm
  [ "$INTERP" = trampoline ] && timeout 60 node "$HERE/tools/node-run.mjs" "$cmd" "$t" /bridge_test.py
  node "$HERE/tools/node-run.mjs" "$cmd" "$t" /modules_test.py
  if [ -f "$ASSETS/src/main/python/eryx/_runtime.py" ] && wasm-objdump -x -j Export "$OUT/python.wasm" | grep -q eryx_init; then
    mkdir -p "$t/usr/local/lib/eryx" && cp -r "$ASSETS/src/main/python/eryx/." "$t/usr/local/lib/eryx/eryx/"
    node "$HERE/tools/node-reactor.mjs" "$OUT/python.wasm" "$t" 'import sys; print("reactor", sys.version.split()[0]); 6 * 7'
  fi
  # Every built-in extension module is in the init table and loads by its dotted name on its own
  # (no parent package needed: BuiltinImporter goes by the full name).
  local names=""
  for e in ${BUILTIN_EXTENSIONS[@]+"${BUILTIN_EXTENSIONS[@]}"}; do set -- $e; names+="'$1',"; done
  node "$HERE/tools/node-run.mjs" "$cmd" "$t" -c "
import sys, importlib.machinery as m, importlib.util as u
for n in [$names]:
    assert n in sys.builtin_module_names, n
    spec = m.BuiltinImporter.find_spec(n)
    mod = u.module_from_spec(spec); spec.loader.exec_module(mod)
    print('built-in extension', n, [a for a in dir(mod) if not a.startswith('__')])"
  node "$HERE/tools/node-run.mjs" "$cmd" "$t" -c \
    'import sys, json, re, zlib, sqlite3, _eryx; print(sys.version); print(json.dumps({"re": re.sub("a","b","aa"), "zlib": len(zlib.compress(b"x"*1000)), "sqlite": sqlite3.sqlite_version, "eryx": _eryx.ABI_VERSION}))'
}

stage_manifest() {
  log "SHA256SUMS and MANIFEST"
  (cd "$OUT" && sha256sum python.wasm stdlib.zip > SHA256SUMS && cat SHA256SUMS)
  {
    echo "# eryx wasm assets: how python.wasm and stdlib.zip were built (wasm-assets/build/build.sh)"
    echo "cpython $PY_VERSION interpreter=$INTERP"
    echo "SOURCE_DATE_EPOCH=$SOURCE_DATE_EPOCH"
    echo
    echo "[sources] (Debian pool paths, sha256)"
    all_sources | while read -r path sum; do echo "pool/main/$path $sum"; done
    echo
    echo "[toolchain] (dpkg versions)"
    for p in clang-19 lld-19 llvm-19 libclang-rt-19-dev-wasm32 wasi-libc wabt binaryen; do
      printf '%s %s\n' "$p" "$(dpkg-query -W -f '${Version}' "$p" 2>/dev/null || echo missing)"
    done
    echo
    echo "[configure]"
    echo "CONFIG_SITE=Tools/wasm/wasi/config.site-wasm32-wasi CC='clang-19 --target=wasm32-wasi' AR=llvm-ar-19 RANLIB=llvm-ranlib-19"
    cat "$WBUILD/eryx-configure-flags"
    echo "OPT=-DNDEBUG -g0 -O3 -Wall; libraries: $WASM_CFLAGS_BASE" | sed "s|$B|\$ERYX_BUILD_DIR|g"
    for e in ${PER_FILE_CFLAGS[@]+"${PER_FILE_CFLAGS[@]}"}; do echo "per-file: ${e%% *} += ${e#* }"; done
    echo "library env: ZLIB_CFLAGS/LIBS BZIP2_CFLAGS/LIBS LIBSQLITE3_CFLAGS/LIBS (LIBLZMA_*) -> static libs in \$ERYX_BUILD_DIR/deps/prefix"
    echo "sqlite3: amalgamation via sqlite/eryx_sqlite3.c $(sha256sum < "$HERE/sqlite/eryx_sqlite3.c" | cut -d' ' -f1) + $SQLITE_CFLAGS"
    echo "memory: stack=$STACK_SIZE initial=$INITIAL_MEMORY max=$MAX_MEMORY (bytes), stack first"
    for e in ${BUILTIN_EXTENSIONS[@]+"${BUILTIN_EXTENSIONS[@]}"}; do
      set -- $e; echo "built-in extension: $1 from pool/main/$2: $4${5:+ ${*:5}}"
    done
    echo "built-in extras: _eryx (wasm-assets/build/bridge/_eryxmodule.c), zlib, _bz2, _sqlite3$( [ -f "$PREFIX/lib/liblzma.a" ] && echo ', _lzma')"
    echo
    echo "[patches]"
    for p in "$HERE"/patches/*.patch; do [ -e "$p" ] && echo "$(basename "$p") $(sha256sum < "$p" | cut -d' ' -f1)"; done
    echo "bridge/_eryxmodule.c $(sha256sum < "$HERE/bridge/_eryxmodule.c" | cut -d' ' -f1)"
    if [ -f "$WBUILD/python-reactor.wasm" ]; then
      echo "entry/eryx_entry.c $(sha256sum < "$HERE/entry/eryx_entry.c" | cut -d' ' -f1) (linked by reactor.mk with -mexec-model=reactor: python.wasm is a WASI reactor)"
    fi
    echo
    echo "[post-link]"
    echo "wasm-strip; fuel instrumentation and dispatch narrowing: $( [ -f "$HERE/tools/FuelInstrument.java" ] && echo 'tools/FuelInstrument.java --narrow-dispatch --split-functions 7000 (narrowing, splitting at 512 table functions per call_indirect switch, outlining regions of functions above 7,000 estimated JVM bytes)' || echo 'not applied')"
    if [ "$INTERP" = trampoline ] && [ "$DIRECT_DISPATCH" = 1 ]; then
      echo "direct dispatch: --direct-dispatch <_PyEval_EvalFrameDefault> (the driver loop's call_indirect -> br_table dispatchers)"
    fi
    echo
    echo "[outputs]"
    cat "$OUT/SHA256SUMS"
  } > "$OUT/MANIFEST"
}

stage_install() {
  log "install outputs into $RESOURCES"
  mkdir -p "$RESOURCES" "$LICENSES"
  cp "$OUT/python.wasm" "$OUT/stdlib.zip" "$OUT/SHA256SUMS" "$OUT/MANIFEST" "$RESOURCES/"
  cp "$SRC/LICENSE" "$LICENSES/cpython-LICENSE.txt"
  cp "$DEPS/src/zlib/LICENSE" "$LICENSES/zlib-LICENSE.txt" 2>/dev/null || \
    sed -n '/Copyright notice:/,/^$/p;/(C) 1995/,/madler@alumni/p' "$DEPS/src/zlib/README" > "$LICENSES/zlib-LICENSE.txt"
  cp "$DEPS/src/bzip2/LICENSE" "$LICENSES/bzip2-LICENSE.txt"
  [ -f "$PREFIX/lib/liblzma.a" ] && cp "$DEPS/src/xz/COPYING.0BSD" "$LICENSES/xz-liblzma-0BSD.txt"
  cp "$HERE/licenses/sqlite-PUBLIC-DOMAIN.txt" "$LICENSES/sqlite-PUBLIC-DOMAIN.txt"
  cp "$HERE/licenses/wasi-libc-NOTICE.txt" "$LICENSES/wasi-libc-NOTICE.txt"
  cp /usr/share/doc/wasi-libc/copyright "$LICENSES/wasi-libc-copyright.txt"
  # Each built-in extension's licence text, from the root of its unpacked source.
  local e f lic
  for e in ${BUILTIN_EXTENSIONS[@]+"${BUILTIN_EXTENSIONS[@]}"}; do
    set -- $e
    lic=""
    for f in "$(ext_dir "$2")"/{LICENSE,LICENCE,COPYING}*; do [ -f "$f" ] && { lic=$f; break; }; done
    [ -n "$lic" ] || die "built-in extension $1: no LICENSE/COPYING file at the root of its source"
    cp "$lic" "$LICENSES/${1%%.*}-LICENSE.txt"
  done
  ls -l "$RESOURCES" "$LICENSES"
}

ALL=(toolchain fetch native libs wasm strip instrument stdlib test manifest install)
stages=("$@"); [ ${#stages[@]} -gt 0 ] || stages=("${ALL[@]}")
for s in "${stages[@]}"; do
  declare -F "stage_$s" >/dev/null || die "unknown stage $s (stages: ${ALL[*]})"
  start=$(date +%s)
  "stage_$s"
  echo "--- stage $s: $(( $(date +%s) - start ))s" >&2
done
