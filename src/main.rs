fn main() {
    println!("evscope");
}
