//! Compiles the one piece that must be C: the variadic printf entry points (Rust cannot define
//! a C variadic function on stable).

fn main() {
    println!("cargo:rerun-if-changed=src/sys/printf.c");
    cc::Build::new()
        .file("src/sys/printf.c")
        .warnings(true)
        .compile("evscope_printf");
}
