// Both generated files are in this module: a/hello.defs → a_hello.hurdidl.swift (GreeterClient),
// b/hello.defs → b_hello.hurdidl.swift (FarewellClient).
import HurdRPC
import HurdRPCL4

print("generated: \(Greeter.subsystemName) (base \(Greeter.base)), \(Farewell.subsystemName) (base \(Farewell.base))")
