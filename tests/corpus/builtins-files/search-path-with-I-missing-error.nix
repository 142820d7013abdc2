<bar/file.txt>
