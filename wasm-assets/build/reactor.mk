# Links python.wasm as a WASI reactor around entry/eryx_entry.c (exports _initialize, eryx_init,
# eryx_exec). Used as `make -f Makefile -f reactor.mk python-reactor.wasm` in the wasm build dir,
# so it reuses every variable and object of CPython's own Makefile.
ERYX_ENTRY_SRC = $(srcdir)/Modules/eryx_entry.c

Modules/eryx_entry.o: $(ERYX_ENTRY_SRC) $(PYTHON_HEADERS)
	$(CC) -c $(PY_CORE_CFLAGS) -o $@ $(ERYX_ENTRY_SRC)

python-reactor.wasm: Modules/eryx_entry.o $(LINK_PYTHON_DEPS)
	$(LINKCC) $(PY_CORE_LDFLAGS) $(LINKFORSHARED) -mexec-model=reactor -o $@ Modules/eryx_entry.o $(LINK_PYTHON_OBJS) $(LIBS) $(MODLIBS) $(SYSLIBS)
