# Copying a path whose base name is not a valid store path name fails the same way.
"${./fixtures + "/a@b"}"
