/a/.hidden/.x
