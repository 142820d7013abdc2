(import <mylib>).greeting
