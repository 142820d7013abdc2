[ (1 == "1") (null == false) ("" == null) ([ ] == { }) ]
