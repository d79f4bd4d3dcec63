console.log("pmp-ui stand-in");
