;; Hand-written module for FuelInstrumentTest's function splitting: inside a loop, the block
;; $step reads $x before writing it, and nothing else in the function reads $x. Outlined, $step
;; must hand $x back to the caller, or the next pass starts again from the caller's stale copy.
;; carry(n) = sum over i < n of y_i, where y_0 = 0 and y_(i+1) = x_(i+1), a hash of x_i and i
;; (x_0 = 1); the arithmetic after $step adds 0 and makes the loop too large to outline whole.
(module
  (memory (export "memory") 1)
  (global $fuel (export "eryx_fuel") i32 (i32.const 16))

  (func $carry (export "carry") (param $n i32) (result i32)
    (local $i i32) (local $x i32) (local $y i32) (local $acc i32)
    i32.const 1
    local.set $x
    block $exit
      loop $next
        local.get $i
        local.get $n
        i32.ge_s
        br_if $exit
        local.get $acc
        local.get $y
        i32.add
        local.set $acc
        block $step
          local.get $x
          i32.const 3
          i32.mul
          local.get $i
          i32.add
          local.get $x
          i32.const 5
          i32.shr_u
          i32.xor
          i32.const 13
          i32.rotl
          i32.const 0x5bd1e995
          i32.xor
          i32.const 11
          i32.rotr
          i32.const 0x27d4eb2d
          i32.add
          local.set $x
          local.get $x
          local.set $y
        end
        ;; padding: acc = acc + (y xor i) - (y xor i), i.e. acc unchanged
        local.get $acc
        local.get $y
        local.get $i
        i32.xor
        i32.add
        local.get $y
        local.get $i
        i32.xor
        i32.sub
        local.get $i
        i32.const 7
        i32.mul
        i32.const 7
        i32.div_u
        local.get $i
        i32.sub
        i32.add
        local.set $acc
        local.get $i
        i32.const 1
        i32.add
        local.set $i
        br $next
      end
    end
    local.get $acc))
