(import ./fixtures/pkgdir).here
