''a\nb\tc\\d''
