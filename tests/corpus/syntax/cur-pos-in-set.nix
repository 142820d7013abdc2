{ x = 1;
  pos = __curPos; }
