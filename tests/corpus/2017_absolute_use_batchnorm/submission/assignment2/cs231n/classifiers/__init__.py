from cs231n.classifiers.fc_net import *
