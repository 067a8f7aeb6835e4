-- What the build recorded about this warehouse (etl/build.py), as key and value.
select key, value from meta
