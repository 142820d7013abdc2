let /* c1 */ a /* c2 */ = /* c3 */ 1 /* c4 */ ; # c5
in a
