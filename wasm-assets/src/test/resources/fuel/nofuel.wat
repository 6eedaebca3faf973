;; Has no eryx_fuel export: the instrumenter must refuse the module.
(module
  (memory 1)
  (func (export "f") (result i32)
    loop $l
      br $l
    end
    i32.const 0))
