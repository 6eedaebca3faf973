;; Uses SIMD, which the instrumenter does not decode: it must refuse the module.
(module
  (memory 1)
  (global (export "eryx_fuel") i32 (i32.const 16))
  (func (export "f") (result i32)
    i32.const 7
    i32x4.splat
    i32x4.extract_lane 0))
