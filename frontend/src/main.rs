fn main() {
    bookstore_frontend::start();
}
