''it's a 'quoted' word''
