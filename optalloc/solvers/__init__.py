"""Backend adapters: each turns a model into a backend call and maps every backend status explicitly."""
