;; Hand-written module for FuelInstrumentTest's dispatch splitting (--max-dispatch-cases): table
;; functions of one signature that the rewriter cuts into partitions, calls through every kind of
;; slot (each partition, null, another signature, past the end), a direct call of a moved table
;; function, a tail call through the table, a loop of indirect calls, and a table function that
;; is also exported (its signature must not be split). No name section: splitting needs none.
(module
  (type $un (func (param i32) (result i32)))
  (type $bin (func (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  (table 12 funcref)
  (global $fuel (export "eryx_fuel") i32 (i32.const 16))
  ;; Slot 0 stays null; slots 1-6 hold $un functions, 7-9 $bin ones (the last one exported), 10-11 null.
  (elem (i32.const 1) func $u1 $u2 $u3 $u4 $u5 $u6 $b1 $b2 $b3)

  (func $u1 (type $un) local.get 0 i32.const 1 i32.add)
  (func $u2 (type $un) local.get 0 i32.const 20 i32.add)
  (func $u3 (type $un) local.get 0 i32.const 300 i32.add)
  ;; Locals after the parameter: the marker parameters of a moved function sit between them.
  (func $u4 (type $un) (local $t i32) local.get 0 i32.const 4000 i32.add local.set $t local.get $t)
  (func $u5 (type $un) (local $t i64) local.get 0 i64.extend_i32_u i64.const 50000 i64.add local.set $t
    local.get $t i32.wrap_i64)
  ;; Calls another table function directly and loops: metered, and a direct call that needs markers.
  (func $u6 (type $un) (local $i i32) (local $acc i32)
    loop $l
      local.get $acc
      local.get $i
      call $u2
      i32.add
      local.set $acc
      local.get $i
      i32.const 1
      i32.add
      local.tee $i
      local.get 0
      i32.lt_u
      br_if $l
    end
    local.get $acc)
  (func $b1 (type $bin) local.get 0 local.get 1 i32.add)
  (func $b2 (type $bin) local.get 0 local.get 1 i32.sub)
  (func $b3 (export "b3") (type $bin) local.get 0 local.get 1 i32.mul)

  ;; unary(slot, x) = table[slot](x)
  (func (export "unary") (param $slot i32) (param $x i32) (result i32)
    local.get $x
    local.get $slot
    call_indirect (type $un))
  ;; binary(slot, x, y) = table[slot](x, y)
  (func (export "binary") (param $slot i32) (param $x i32) (param $y i32) (result i32)
    local.get $x
    local.get $y
    local.get $slot
    call_indirect (type $bin))
  ;; tail(slot, x): the same through return_call_indirect
  (func (export "tail") (param $slot i32) (param $x i32) (result i32)
    local.get $x
    local.get $slot
    return_call_indirect (type $un))
  ;; direct(x) = u6(x) + u5(x): direct calls of table functions
  (func (export "direct") (param $x i32) (result i32)
    local.get $x
    call $u6
    local.get $x
    call $u5
    i32.add)
  ;; sweep(n) = sum over i < n of table[1 + i % 6](i), in a loop
  (func (export "sweep") (param $n i32) (result i32) (local $i i32) (local $acc i32)
    block $done
      loop $l
        local.get $i
        local.get $n
        i32.ge_u
        br_if $done
        local.get $acc
        local.get $i
        local.get $i
        i32.const 6
        i32.rem_u
        i32.const 1
        i32.add
        call_indirect (type $un)
        i32.add
        local.set $acc
        local.get $i
        i32.const 1
        i32.add
        local.set $i
        br $l
      end
    end
    local.get $acc)
)
