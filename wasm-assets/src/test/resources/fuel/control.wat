;; Hand-written module for FuelInstrumentTest: exact costs, branch depths next to inserted code,
;; and one use of every non-MVP opcode family the instrumenter decodes.
(module
  (type $i2i (func (param i32) (result i32)))
  (memory (export "memory") 1)
  (table $t 4 funcref)
  (global $fuel (export "eryx_fuel") i32 (i32.const 16))
  (data $d "\01\02\03\04")
  (elem $e func $square)

  ;; acc = sum over i < n of (0 + 1 + ... + i).
  ;; Fuel: entry 2 (block, loop) + outer header 4 per pass (n + 1 passes)
  ;;       + inner header 11 per pass (n (n + 1) / 2 passes).
  ;; The br_if $exit right after the outer loop header has depth 1: it only still reaches the
  ;; block if the inserted `if ... end` did not wrap it.
  (func $nested (export "nested") (param $n i32) (result i32)
    (local $i i32) (local $j i32) (local $acc i32)
    block $exit
      loop $outer
        local.get $i
        local.get $n
        i32.ge_s
        br_if $exit
        i32.const 0
        local.set $j
        loop $inner
          local.get $acc
          local.get $j
          i32.add
          local.set $acc
          local.get $j
          i32.const 1
          i32.add
          local.tee $j
          local.get $i
          i32.le_s
          br_if $inner
        end
        local.get $i
        i32.const 1
        i32.add
        local.set $i
        br $outer
      end
    end
    local.get $acc)

  ;; A loop with a parameter (multi-value block type, encoded as a type index): the inserted code
  ;; runs with the loop's operand on the stack. Returns 0. Fuel: entry 2 + 5 per pass (n passes).
  (func $countdown (export "countdown") (param $n i32) (result i32)
    local.get $n
    loop $l (type $i2i)
      i32.const 1
      i32.sub
      local.tee $n
      local.get $n
      br_if $l
    end)

  ;; A leaf (no loop, no call): left unchanged by default.
  (func $square (param i32) (result i32)
    local.get 0
    local.get 0
    i32.mul)

  ;; Bulk memory, saturating truncation, sign extension, typed select, reference types and table
  ;; ops, br_table, call_indirect. Returns a value the test knows.
  (func $misc (export "misc") (param $x i32) (result i32)
    (local $r i32)
    ;; memory[104..108) = 01 02 03 04 and memory[108..112) = the same, via init + copy
    i32.const 100 i32.const 0 i32.const 4 memory.fill
    i32.const 104 i32.const 0 i32.const 4 memory.init $d
    data.drop $d
    i32.const 108 i32.const 104 i32.const 4 memory.copy
    ;; table[1] = $square via table.init; then copy, get/set, grow, size, fill
    i32.const 1 i32.const 0 i32.const 1 table.init $t $e
    elem.drop $e
    i32.const 2 i32.const 1 i32.const 1 table.copy $t $t
    i32.const 3 i32.const 2 table.get $t table.set $t
    ref.null func i32.const 0 table.grow $t drop
    i32.const 0 ref.null func i32.const 1 table.fill $t
    ref.func $square ref.is_null drop
    ;; r = square(x) through the table, r += trunc_sat(1e10) == INT32_MAX ? 1 : 0
    local.get $x i32.const 3 call_indirect $t (type $i2i) local.set $r
    f32.const 1e10 i32.trunc_sat_f32_s i32.const 2147483647 i32.eq local.get $r i32.add local.set $r
    ;; r += extend8_s(0xFF) (= -1) + load of the copied bytes (0x04030201)
    i32.const 255 i32.extend8_s local.get $r i32.add local.set $r
    i32.const 108 i32.load local.get $r i32.add local.set $r
    ;; r += 10 * select(1, 2, x > 0) (typed select)
    i32.const 1 i32.const 2 local.get $x i32.const 0 i32.gt_s select (result i32)
    i32.const 10 i32.mul local.get $r i32.add local.set $r
    ;; r += br_table on x & 3: 100, 200, 300, or nothing for 3 (the default, straight to $b3)
    block $b3 block $b2 block $b1 block $b0
      local.get $x i32.const 3 i32.and
      br_table $b0 $b1 $b2 $b3
    end i32.const 100 local.get $r i32.add local.set $r br $b3
    end i32.const 200 local.get $r i32.add local.set $r br $b3
    end i32.const 300 local.get $r i32.add local.set $r br $b3
    end
    local.get $r))
