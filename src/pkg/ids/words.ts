/**
 * Word lists for generated container names (`<adjective>_<surname>`), written
 * for pier: cheerful adjectives, and the surnames of scientists, engineers,
 * mathematicians and hackers whose work computing and science rest on.
 * Lower-case ASCII letters only, so every pair is a valid container name.
 */

export const ADJECTIVES: readonly string[] = Object.freeze([
  'able', 'adroit', 'agile', 'airy', 'amiable', 'ample', 'apt', 'ardent', 'artful', 'astute', 'avid',
  'balmy', 'blithe', 'bold', 'brave', 'breezy', 'bright', 'brisk', 'buoyant', 'calm', 'candid', 'capable',
  'careful', 'charming', 'cheerful', 'chipper', 'civil', 'clever', 'cordial', 'cosmic', 'crisp', 'curious',
  'daring', 'dapper', 'dazzling', 'decisive', 'deft', 'devoted', 'diligent', 'dreamy', 'dynamic', 'eager',
  'earnest', 'elated', 'elegant', 'eloquent', 'epic', 'exuberant', 'fair', 'fearless', 'festive', 'fervent',
  'fond', 'frank', 'friendly', 'gallant', 'generous', 'gentle', 'genial', 'gifted', 'glad', 'gleeful',
  'glowing', 'graceful', 'gracious', 'grand', 'hardy', 'hearty', 'helpful', 'heroic', 'honest', 'hopeful',
  'humble', 'inspired', 'intrepid', 'jaunty', 'jolly', 'jovial', 'joyful', 'keen', 'kind', 'kindly',
  'lively', 'loyal', 'lucid', 'lucky', 'magnetic', 'merry', 'mighty', 'mellow', 'modest', 'neat', 'nifty',
  'nimble', 'noble', 'patient', 'peaceful', 'placid', 'playful', 'plucky', 'poised', 'polite', 'proud',
  'quick', 'quiet', 'radiant', 'relaxed', 'resolute', 'robust', 'rosy', 'sage', 'serene', 'sharp', 'sincere',
  'smiling', 'snappy', 'sparkling', 'spirited', 'splendid', 'spry', 'steady', 'stellar', 'sunny', 'superb',
  'swift', 'tidy', 'tranquil', 'trusty', 'upbeat', 'valiant', 'vibrant', 'vigilant', 'vivid', 'warm',
  'whimsical', 'wise', 'witty', 'zany', 'zealous', 'zesty',
]);

export const SURNAMES: readonly string[] = Object.freeze([
  'abel', 'adleman', 'agnesi', 'aho', 'aiken', 'akasaki', 'alhazen', 'alvarez', 'amano', 'ampere',
  'anderson', 'arago', 'archimedes', 'arikan', 'armstrong', 'arrhenius', 'aryabhata', 'atanasoff', 'atiyah',
  'avogadro', 'babbage', 'backus', 'banting', 'bardeen', 'bell', 'bellard', 'bennett', 'bernoulli',
  'bernstein', 'berrou', 'bethe', 'bhabha', 'bhaskara', 'biham', 'biruni', 'blackburn', 'bode', 'bohr',
  'boltzmann', 'boole', 'borel', 'bose', 'bostic', 'boyle', 'brahmagupta', 'brattain', 'brunel', 'burnell',
  'cajal', 'canaday', 'cannon', 'cantor', 'cardano', 'carmack', 'carnot', 'carson', 'cauchy', 'cavendish',
  'cerf', 'chadwick', 'chandrasekhar', 'charpentier', 'chebyshev', 'chu', 'church', 'clausius', 'codd',
  'compton', 'conway', 'cooley', 'copernicus', 'corbato', 'coulomb', 'crick', 'curie', 'curry', 'daemen',
  'dalton', 'darwin', 'davy', 'dedekind', 'diffie', 'dijkstra', 'dirac', 'doppler', 'doudna', 'dyson',
  'eckert', 'edison', 'einstein', 'elion', 'emerson', 'engelbart', 'erdos', 'estrin', 'euclid', 'euler',
  'faggin', 'faraday', 'farnsworth', 'fermat', 'fermi', 'feynman', 'fibonacci', 'fizeau', 'fleming', 'floyd',
  'foucault', 'fourier', 'franklin', 'fresnel', 'galileo', 'galois', 'galvani', 'gauss', 'geiger', 'germain',
  'gibbs', 'godel', 'goldberg', 'goldwasser', 'golay', 'golub', 'goodall', 'gosling', 'gray', 'haber',
  'hahn', 'hamilton', 'hamming', 'hartley', 'hawking', 'heaviside', 'heisenberg', 'hellman', 'helmholtz',
  'herschel', 'hertz', 'hilbert', 'hodgkin', 'hoare', 'hollerith', 'hopper', 'hubble', 'huffman', 'humboldt',
  'hypatia', 'jackson', 'jacobi', 'jemison', 'jenner', 'johnson', 'joliot', 'joule', 'kahan', 'kahn',
  'kalman', 'kare', 'kariko', 'kay', 'kepler', 'kernighan', 'khayyam', 'khwarizmi', 'kilburn', 'kilby',
  'kirchhoff', 'kleene', 'kleinrock', 'knuth', 'koch', 'kolmogorov', 'kovalevskaya', 'lamarr', 'lamport',
  'lanczos', 'laplace', 'lavoisier', 'leavitt', 'lebesgue', 'leibniz', 'lempel', 'liskov', 'lister',
  'lorentz', 'lovelace', 'lyapunov', 'mandelbrot', 'marconi', 'markov', 'maxwell', 'mcclintock', 'mccarthy',
  'mcilroy', 'meitner', 'mendel', 'mendeleev', 'merkle', 'metcalfe', 'micali', 'milner', 'minkowski',
  'minsky', 'mirzakhani', 'moore', 'morse', 'napier', 'nash', 'naur', 'neumann', 'newton', 'nightingale',
  'noether', 'noyce', 'nyquist', 'ohm', 'oppenheimer', 'ostwald', 'pascal', 'pasteur', 'pauli', 'pauling',
  'payne', 'peano', 'penrose', 'perlman', 'planck', 'poincare', 'poisson', 'postel', 'priestley',
  'ramanujan', 'raman', 'rejewski', 'riemann', 'ritchie', 'rivest', 'rubin', 'rutherford', 'sagan', 'saha',
  'salk', 'sanger', 'schrodinger', 'shamir', 'shannon', 'shockley', 'somerville', 'stallman', 'stibitz',
  'strachey', 'stroustrup', 'sutherland', 'szilard', 'tanenbaum', 'tarjan', 'teller', 'tesla', 'thompson',
  'torvalds', 'tukey', 'turing', 'tutte', 'ulam', 'vaughan', 'viterbi', 'volta', 'wallace', 'watt',
  'wegener', 'wiener', 'wiles', 'wilkes', 'wirth', 'wozniak', 'wright', 'yalow', 'yonath', 'yukawa',
  'zeilinger', 'ziv', 'zuse',
]);
