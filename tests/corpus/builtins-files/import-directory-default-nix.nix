import ./fixtures/pkgdir
